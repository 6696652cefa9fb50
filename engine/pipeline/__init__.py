"""The pipeline: parse -> check -> compile -> evaluate -> prove -> decide -> render (see engine/__init__.py)."""
