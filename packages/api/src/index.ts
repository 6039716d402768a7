// @mk/api: the object model every component shares (DESIGN.md, packages/api).
