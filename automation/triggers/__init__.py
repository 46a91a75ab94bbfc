"""Pipeline triggers: which events they listen to, what their effects do, the engine that runs them."""
