"""Operational endpoints for load balancers and container orchestrators."""

from fastapi import APIRouter

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness check")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
