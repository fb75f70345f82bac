"""`perfjudge serve`: the engine as an HTTP service for RL trainers and refine loops.

- `judging`: requests in, answers out (verdict, costs, scores, reward), with the store as a
  cache, a bounded queue and a per-request timeout; no HTTP in it.
- `run_code`: SandboxFusion's ``/run_code`` shapes mapped onto one program run.
- `app`: the routes, request models and status codes; `Gate` (token, body limit, metrics).
- `metrics`: the Prometheus registry.
- `server`: `serve`, which wires an executor, a store and the app into uvicorn.

FastAPI, uvicorn and prometheus-client come with the ``serve`` extra.
"""
