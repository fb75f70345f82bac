"""The engine: everything between a piece of code and its verdict and cost.

- `sandbox`: isolation layers (bubblewrap, uid drop, cgroups, rlimits) and run directories;
  `sandbox_child.c` is preloaded into the harness and sandboxes every child of the zygote
- `harness`: runs inside the sandbox (never imported by the parent for sample work): the
  zygote and its children
- `runner`: the parent side of the harness protocol: deadlines, caps, cost windows, records
- `wire`: the parent's strict reader of the harness's frames
- `equality`: output comparison in the parent
- `languages`: how the harness starts for a language, what the zygote preloads
- `judge`: `check_solution` and `Engine`: correctness, then cost, with derived data cached
"""
