// @mk/scheduler (DESIGN.md, "Controllers, scheduler, node agents").
