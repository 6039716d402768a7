// @mk/controller-manager (DESIGN.md, "Controllers, scheduler, node agents").
