"""The `sitroom` command: wires the engine, the exercise room and the debrief together."""
