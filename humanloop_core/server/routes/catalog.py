"""Directories and the mixed listing of files."""

from fastapi import APIRouter

router = APIRouter()
