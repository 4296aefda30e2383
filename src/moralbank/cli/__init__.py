"""The only package that imports the CLI framework."""
