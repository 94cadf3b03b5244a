"""Dialogue: the platform a secretariat uses to run a membership-driven policy dialogue."""
