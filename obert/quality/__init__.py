"""Metadata quality, scored the way data.europa.eu's Metadata Quality Assessment (MQA) does."""
