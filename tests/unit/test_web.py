"""The web client's files at /, index.html for client routes, the API untouched."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from graph.app import create_app
from graph.platform.settings import Settings
from graph.platform.web import CONTENT_SECURITY_POLICY, is_client_route

INDEX = "<!doctype html><title>Sentichat</title>"
SCRIPT = "console.log('hi')"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "index-3f2a.js").write_text(SCRIPT)
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path.parent / "secret.txt").write_text("not for you")
    return tmp_path


def client(web_dist: Path) -> httpx.AsyncClient:
    app = create_app(Settings(jwt_secret="x" * 40, web_dist=web_dist))
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://sentichat.test")


@pytest.mark.parametrize("path", ["/", "/chat/12", "/login", "/some/deep/route"])
async def test_the_page_answers_every_client_route(dist: Path, path: str) -> None:
    async with client(dist) as http:
        response = await http.get(path)

    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_hashed_assets_are_cached_for_good(dist: Path) -> None:
    async with client(dist) as http:
        response = await http.get("/assets/index-3f2a.js")

    assert response.status_code == 200
    assert response.text == SCRIPT
    assert "javascript" in response.headers["content-type"]
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "content-security-policy" not in response.headers


async def test_other_files_are_revalidated(dist: Path) -> None:
    async with client(dist) as http:
        response = await http.get("/favicon.svg")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path", ["/assets/index-old.js", "/assets/chat", "/favicon.ico", "/robots.txt"]
)
async def test_a_missing_file_is_a_404_not_the_page(dist: Path, path: str) -> None:
    async with client(dist) as http:
        response = await http.get(path)

    assert response.status_code == 404
    assert INDEX not in response.text


@pytest.mark.parametrize(
    "path", ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"]
)
async def test_nothing_outside_the_bundle_is_served(dist: Path, path: str) -> None:
    async with client(dist) as http:
        response = await http.get(path)

    assert "not for you" not in response.text


async def test_only_get_and_head(dist: Path) -> None:
    async with client(dist) as http:
        head = await http.head("/chat/1")
        post = await http.post("/chat/1", content=b"x")

    assert head.status_code == 200
    assert post.status_code == 405


async def test_the_api_keeps_its_paths(dist: Path) -> None:
    # GraphiQL at /graphql beside the client: tests/e2e/test_embedded_server.py.
    async with client(dist) as http:
        health = await http.get("/healthz")

    assert health.json() == {"status": "ok"}


async def test_without_a_build_the_root_says_how_to_make_one(tmp_path: Path) -> None:
    async with client(tmp_path / "nothing") as http:
        response = await http.get("/")

    assert response.status_code == 404
    assert "make web" in response.text


@pytest.mark.parametrize(
    ("path", "route"),
    [
        (".", True),
        ("chat/12", True),
        ("login", True),
        ("assets/x.js", False),
        ("assets/chat", False),
        ("favicon.ico", False),
        ("chat/report.pdf", False),
    ],
)
def test_what_counts_as_a_client_route(path: str, route: bool) -> None:
    assert is_client_route(path) is route
