"""Code the client and the server share: neither side's private modules, no I/O."""
