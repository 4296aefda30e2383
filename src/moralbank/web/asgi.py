"""ASGI entry point for ``moralbank serve`` and for uvicorn/granian workers."""

from moralbank.bootstrap import bootstrap
from moralbank.web.app import create_app

app = create_app(bootstrap())
