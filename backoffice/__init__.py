"""The staff back-office: aiohttp + aiohttp-jinja2 + aiohttp-session, server-rendered."""
