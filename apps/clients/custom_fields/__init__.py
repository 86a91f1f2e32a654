"""The company's own fields on client cards: definitions (admins), values (everyone who edits a card)."""
