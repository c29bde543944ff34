"""The worlds stories start from, one module per kind of story.

- :mod:`.accounts`: the test password, organizations, logins, campaigns through the API.
- :mod:`.team`: an organization with senders and a campaign inside a TestClient app.
- :mod:`.cluster`: the same team against real server processes, and an event emitter.
- :mod:`.messaging`: a campaign ready for texting, rows inserted directly.
- :mod:`.sweep`: conversations in chosen states, for the sweeping stories.
- :mod:`.web`: a campaign built through the HTTP API of a running server, for the browser.
"""

__all__: list[str] = []
