"""Thin resolvers: unpack arguments, make one service call, map the result."""
