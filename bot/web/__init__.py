"""The dashboard: trainers review their groups, coordinators see aggregates.

A small server-rendered Starlette app over the same database and services as
the bot (built by `bot.bootstrap.build`). Nothing here is built at import time:
`bot.web.app.create_web(app)` wires it, `bot.web.server.serve()` runs it.
"""
