"""The provider-neutral chat core: conversations, history, sessions, token and cost accounting."""
