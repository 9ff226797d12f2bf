from graph.api.schema import SDL_PATH, export_sdl


def test_the_committed_sdl_matches_the_schema() -> None:
    assert SDL_PATH.read_text() == export_sdl(), (
        "graph/schema.graphql is stale: run `make schema` and commit it"
    )
