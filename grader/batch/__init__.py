"""Grading a whole class: discovery, safe unpacking, parallel runs, the OUT folder, shards and merging."""
