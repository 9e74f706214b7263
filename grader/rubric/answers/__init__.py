"""Finding and judging the answers students write in prose."""
