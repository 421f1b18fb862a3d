"""The hotel's property-management system behind one port (port.py), with a local SQL adapter and QloApps."""
