"""The class: one host running every team's exercise, its wire protocol and its client."""
