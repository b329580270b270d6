"""Small serializers every app's API shares."""

from rest_framework import serializers


class PersonRefSerializer(serializers.Serializer):
    """A person named in another object: id, name and email."""

    id = serializers.IntegerField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)


class RefSerializer(serializers.Serializer):
    """A related object by id and name (a template, a location)."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
