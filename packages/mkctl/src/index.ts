// @mk/mkctl: the kubectl-shaped CLI (DESIGN.md, packages/mkctl).
