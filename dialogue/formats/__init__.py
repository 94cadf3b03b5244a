"""Date formats of the interface, overriding Django's where the organization writes dates
differently (English: "17 October 2006", as in its documents)."""
