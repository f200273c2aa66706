"""Resource groups of the client, one module each; imported lazily by ``humanloop_core.client``."""
