"""Every page and the static files, as one router for `create_app` to include."""

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from app.web import coordination, dashboard, formactions, formpage, history, login, patient, querypages
from app.web.render import STATIC_DIR

router = APIRouter(include_in_schema=False)
router.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
# Order matters where addresses overlap: /forms/{form}/new, /preview and /status before /forms/{form}/{n}.
for module in (login, dashboard, querypages, history, formactions, formpage, patient, coordination):
    router.include_router(module.router)
