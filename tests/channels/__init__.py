"""Channel tests with real clients: Web Chat, botframework-directlinejs, the Agents Playground."""
