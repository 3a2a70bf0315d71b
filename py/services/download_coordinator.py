"""Download requests from the UI: validate the payload, run it through the manager, broadcast progress.

The manager comes from an async factory and the broadcaster is injected, so nothing here is global.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from py.services.download_manager import DownloadManager
from py.services.progress_broadcaster import ProgressBroadcaster


def _optional_int(payload: dict[str, Any], field: str) -> int | None:
    value = payload.get(field)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid {field}: Must be an integer") from None


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


class DownloadCoordinator:
    """Thin layer between a request payload and the download manager."""

    def __init__(
        self,
        *,
        ws_manager: ProgressBroadcaster,
        download_manager_factory: Callable[[], Awaitable[DownloadManager]],
    ) -> None:
        self._ws = ws_manager
        self._factory = download_manager_factory

    async def schedule_download(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Run the download the payload describes; the result carries its ``download_id``."""
        model_id = _optional_int(payload, "model_id")
        model_version_id = _optional_int(payload, "model_version_id")
        if model_id is None and model_version_id is None:
            raise ValueError(
                "Missing required parameter: Please provide either 'model_id' or 'model_version_id'"
            )
        download_id = payload.get("download_id") or self._ws.generate_download_id()
        payload["download_id"] = download_id

        async def on_progress(progress: Any, snapshot: Any = None) -> None:
            data: dict[str, Any] = {
                "status": "progress",
                "progress": round(_number(progress)),
                "download_id": download_id,
            }
            if snapshot is not None:
                data["bytes_downloaded"] = snapshot.bytes_downloaded
                data["total_bytes"] = snapshot.total_bytes
                data["bytes_per_second"] = snapshot.bytes_per_second
            await self._ws.broadcast_download_progress(download_id, data)

        manager = await self._factory()
        result = await manager.download_from_civitai(
            model_id=model_id,
            model_version_id=model_version_id,
            save_dir=payload.get("model_root"),
            relative_path=payload.get("relative_path", ""),
            progress_callback=on_progress,
            use_default_paths=payload.get("use_default_paths", False),
            download_id=download_id,
            source=payload.get("source"),
            file_params=payload.get("file_params") or None,
            use_save_dir_as_root=payload.get("use_save_dir_as_root", False),
        )
        return {**result, "download_id": download_id}

    async def cancel_download(self, download_id: str) -> dict[str, Any]:
        manager = await self._factory()
        result = await manager.cancel_download(download_id)
        # Quirk fixed: upstream announced "cancelled" even when nothing was cancelled.
        if result.get("success"):
            await self._ws.broadcast_download_progress(
                download_id,
                {
                    "status": "cancelled",
                    "progress": 0,
                    "download_id": download_id,
                    "message": "Download cancelled by user",
                },
            )
        return result

    async def skip_download(self, download_id: str) -> dict[str, Any]:
        manager = await self._factory()
        result = await manager.skip_download(download_id)
        # Same fix as cancel: only a download that was really skipped is announced as skipped.
        if result.get("success"):
            await self._ws.broadcast_download_progress(
                download_id,
                {
                    "status": "skipped",
                    "progress": 0,
                    "download_id": download_id,
                    "message": "Download skipped by user (partial files preserved)",
                },
            )
        return result

    def _cached(self, download_id: str) -> dict[str, Any]:
        cached = self._ws.get_download_progress(download_id) or {}
        return {
            "progress": cached.get("progress", 0),
            "bytes_downloaded": cached.get("bytes_downloaded"),
            "total_bytes": cached.get("total_bytes"),
            "bytes_per_second": cached.get("bytes_per_second", 0.0),
        }

    async def pause_download(self, download_id: str) -> dict[str, Any]:
        manager = await self._factory()
        result = await manager.pause_download(download_id)
        if result.get("success"):
            cached = self._cached(download_id)
            await self._ws.broadcast_download_progress(
                download_id,
                {
                    "status": "paused",
                    "progress": cached["progress"],
                    "download_id": download_id,
                    "message": "Download paused by user",
                    "bytes_downloaded": cached["bytes_downloaded"],
                    "total_bytes": cached["total_bytes"],
                    "bytes_per_second": 0.0,
                },
            )
        return result

    async def resume_download(self, download_id: str) -> dict[str, Any]:
        manager = await self._factory()
        result = await manager.resume_download(download_id)
        if result.get("success"):
            cached = self._cached(download_id)
            await self._ws.broadcast_download_progress(
                download_id,
                {
                    "status": "downloading",
                    "progress": cached["progress"],
                    "download_id": download_id,
                    "message": "Download resumed by user",
                    "bytes_downloaded": cached["bytes_downloaded"],
                    "total_bytes": cached["total_bytes"],
                    "bytes_per_second": cached["bytes_per_second"],
                },
            )
        return result

    async def list_active_downloads(self) -> dict[str, Any]:
        manager = await self._factory()
        return await manager.get_active_downloads()
