"""Agent workspace views: thin — parse, check the role, call one service or selector, render."""
