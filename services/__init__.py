"""The use cases of ReturnDesk: the only API that bot/, backoffice/ and jobs/ call."""
