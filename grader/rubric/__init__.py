"""Stage 4: judge the evidence against an exercise's declarative checks (no TensorFlow here)."""
