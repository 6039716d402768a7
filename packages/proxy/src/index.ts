// @mk/proxy: mk-proxy (DESIGN.md, "Controllers, scheduler, node agents").
export {};
