"""Certificates, CA certificates, IoT policies, thing principals, role aliases."""
