"""The python-telegram-bot adapter: parse an update, call the chat service, render, reply."""
