"""Passerelle: the gateway between customers' messaging apps, the Rasa core and the community managers."""
