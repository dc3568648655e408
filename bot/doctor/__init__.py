"""`bot doctor`: checks of the settings and of every service, with what to fix."""
