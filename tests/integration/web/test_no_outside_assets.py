"""Runs on a government intranet: every page and asset comes from the app itself, no CDN."""

import re
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from moralbank.bootstrap import Container
from moralbank.web.app import create_app

LINKS = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)


def test_pages_load_nothing_from_outside(container: Container) -> None:
    client = TestClient(create_app(container))  # serves as http://testserver
    for path in ("/", "/login", "/login/resident", "/policy", "/verify", "/docs"):
        response = client.get(path, headers={"accept": "text/html"})
        assert response.status_code == 200, path
        for link in LINKS.findall(response.text):
            url = urlsplit(link)
            assert url.netloc in ("", "testserver"), f"{path} loads {link} from outside the app"
            if url.path.startswith("/static/"):
                assert client.get(url.path).status_code == 200, f"{path} links {link}, which is not served"
