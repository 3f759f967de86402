"""The dashboard's pages, one module per group of pages; `bot.web.app` routes to them.

Every view decides on the server who may see what, on every request: it reads
the viewer afresh and asks the services, whose queries carry the access rule.
"""
