"""Trading rules: order lifecycle as a transition table, position and cash accounting."""
