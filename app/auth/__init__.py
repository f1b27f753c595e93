"""Who is acting: users, roles, passwords, API tokens and sessions."""
