"""Model download orchestration: decide what to fetch and where, run it, and track and control it.

Metadata provider, model libraries, metadata writer, downloader, clock and sleep are injected: the
manager reaches no module-level singleton, so tests drive the whole pipeline against a real server.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import os
import shutil
import time
import uuid
import zipfile
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from py.services.downloader import Downloader, DownloadStreamControl, dispatch_progress, host_scope
from py.utils.constants import (
    CIVITAI_DOWNLOAD_PREFIXES,
    EXTENSIONS_BY_MODEL_TYPE,
    MODEL_TYPE_BY_CIVITAI_TYPE,
    NON_DOWNLOADABLE_FILE_TYPES,
    NSFW_LEVELS,
    PART_SUFFIX,
    PREVIEW_EXTENSIONS,
    SUPPORTED_DOWNLOAD_SKIP_BASE_MODELS,
    WEIGHT_FILE_TYPES,
)
from py.utils.file_utils import atomic_write_json, calculate_sha256, normalize_path, sidecar_path
from py.utils.utils import render_path_template

logger = logging.getLogger(__name__)

MAX_CONCURRENT_DOWNLOADS = 5
RECORD_TTL = 600.0
CANCEL_WAIT = 2.0
DELETE_ATTEMPTS = 5
DELETE_DELAY = 0.1
MIN_RECONNECT_IDLE = 30.0
LIBRARY_ORDER = ("lora", "checkpoint", "embedding")
DEFAULT_BLUR_LEVEL = "R"
PURCHASE_HINT = "Please ensure you have purchased access on Civitai and that your API key is set."
NOT_FOUND = {"success": False, "error": "Download task not found"}


class MetadataProvider(Protocol):
    async def get_model_version(
        self, model_id: int | None, version_id: int | None
    ) -> dict[str, Any] | None: ...


class ModelLibrary(Protocol):
    """The cache of one model type (lora, checkpoint or embedding)."""

    async def version_exists(self, version_id: int) -> bool: ...

    async def entries(self) -> list[dict[str, Any]]: ...

    async def add_to_cache(self, entry: dict[str, Any], relative_path: str) -> None: ...


class MetadataWriter(Protocol):
    async def save_metadata(self, file_path: str, entry: dict[str, Any]) -> None: ...


class DownloadHistory(Protocol):
    def has_version(self, version_id: int) -> bool: ...

    def record(self, model_id: int | None, version_id: int | None, file_id: Any, file_name: str) -> None: ...


class SidecarWriter:
    """Writes ``<base>.metadata.json`` next to the model, atomically."""

    async def save_metadata(self, file_path: str, entry: dict[str, Any]) -> None:
        atomic_write_json(sidecar_path(file_path), entry)


class MemoryDownloadHistory:
    """Versions downloaded during this process."""

    def __init__(self) -> None:
        self.downloads: list[dict[str, Any]] = []

    def has_version(self, version_id: int) -> bool:
        return any(item["version_id"] == version_id for item in self.downloads)

    def record(self, model_id: int | None, version_id: int | None, file_id: Any, file_name: str) -> None:
        self.downloads.append(
            {"model_id": model_id, "version_id": version_id, "file_id": file_id, "file_name": file_name}
        )


@dataclass(frozen=True)
class _Request:
    model_id: int | None
    model_version_id: int | None
    save_dir: str | None
    relative_path: str
    progress_callback: Callable[..., Any] | None
    use_default_paths: bool
    source: str | None
    file_params: dict[str, Any] | None
    use_save_dir_as_root: bool


def _failure(error: str) -> dict[str, Any]:
    return {"success": False, "error": error}


def _file_field(info: Mapping[str, Any], key: str) -> Any:
    return (info.get("metadata") or {}).get(key, info.get(key))


def resolve_target_file(
    files: list[dict[str, Any]], file_params: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """The file ``file_params`` names: by id, else the primary weight file, else a lenient match."""
    if not file_params:
        return None
    if file_params.get("id") is not None:
        return next((f for f in files if str(f.get("id")) == str(file_params["id"])), None)
    if file_params.get("isPrimary"):
        return next((f for f in files if f.get("primary") and f.get("type") in WEIGHT_FILE_TYPES), None)
    wanted_type = file_params.get("type") or "Model"
    for info in files:
        if (info.get("type") or "Model") != wanted_type:
            continue
        # Compared only when both sides say something.
        if all(
            _file_field(file_params, key) in (None, "")
            or _file_field(info, key) in (None, "")
            or _file_field(file_params, key) == _file_field(info, key)
            for key in ("format", "size", "fp")
        ):
            return info
    return None


def fallback_file(files: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Primary weight file, else the first weight file, else a primary that is not an extra."""
    for accept in (
        lambda f: f.get("primary") and f.get("type") in WEIGHT_FILE_TYPES,
        lambda f: f.get("type") in WEIGHT_FILE_TYPES,
        lambda f: f.get("primary") and f.get("type") not in NON_DOWNLOADABLE_FILE_TYPES,
    ):
        found = next((f for f in files if accept(f)), None)
        if found is not None:
            return found
    return None


def select_preview_media(
    images: list[dict[str, Any]], blur_mature: bool, blur_level: str | None
) -> dict[str, Any]:
    """The first image below the blur threshold when mature content is blurred, else the first image."""
    if blur_mature:
        threshold = NSFW_LEVELS.get(blur_level, NSFW_LEVELS[DEFAULT_BLUR_LEVEL])
        for image in images:
            if (image.get("nsfwLevel") or 0) < threshold:
                return image
    return images[0]


def early_access_message(version_info: Mapping[str, Any]) -> str | None:
    """A user-facing explanation for paid or early-access versions, or None."""
    paid = version_info.get("paidAccess")
    if isinstance(paid, str):
        with contextlib.suppress(ValueError):
            paid = json.loads(paid)
    # Anything but a dict (bad JSON, a list) says nothing; so does the empty DTO
    # {"permanent": false, "endsAt": null}, which then defers to earlyAccessEndsAt.
    if not isinstance(paid, dict):
        paid = {}
    if paid.get("permanent"):
        return f"This model requires a permanent purchase. {PURCHASE_HINT}"
    ends_at = paid.get("endsAt") or version_info.get("earlyAccessEndsAt")
    if ends_at:
        return f"This model requires payment (until {str(ends_at)[:10]}). {PURCHASE_HINT}"
    return None


def first_tag(tags: Iterable[Any] | None, priorities: Iterable[str] | None) -> str:
    """The first priority tag the model has, else its first tag, else ``""``."""
    lowered = [str(tag).lower() for tag in tags or ()]
    for wanted in priorities or ():
        if wanted.lower() in lowered:
            return wanted.lower()
    return lowered[0] if lowered else ""


def unique_path(directory: str, file_name: str) -> str:
    """``directory/file_name``, or ``name-1.ext``, ``name-2.ext``... when that is taken."""
    base, ext = os.path.splitext(file_name)
    candidate, number = os.path.join(directory, file_name), 0
    while os.path.exists(candidate):
        number += 1
        candidate = os.path.join(directory, f"{base}-{number}{ext}")
    return candidate


def extract_model_files(archive: str, directory: str, extensions: tuple[str, ...]) -> list[str]:
    """Extract the entries with an allowed extension, flattened to their base names."""
    extracted: list[str] = []
    with zipfile.ZipFile(archive) as bundle:
        for member in bundle.infolist():
            name = os.path.basename(member.filename)
            if member.is_dir() or not name.lower().endswith(extensions):
                continue
            target = unique_path(directory, name)
            with bundle.open(member) as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink)
            extracted.append(target)
    return extracted


def _unlink(path: str | None) -> None:
    if path:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


class DownloadManager:
    """Runs model downloads, at most five at a time, and answers cancel/skip/pause/resume."""

    def __init__(
        self,
        *,
        settings: Mapping[str, Any],
        downloader: Downloader,
        metadata_provider: MetadataProvider,
        libraries: Mapping[str, ModelLibrary],
        metadata_writer: MetadataWriter | None = None,
        history: DownloadHistory | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        cancel_wait: float = CANCEL_WAIT,
    ) -> None:
        self._settings = settings
        self._downloader = downloader
        self._metadata = metadata_provider
        self._libraries = libraries
        self._writer = metadata_writer or SidecarWriter()
        self._history = history or MemoryDownloadHistory()
        self._clock = clock
        self._sleep = sleep
        self._cancel_wait = cancel_wait
        self._active_downloads: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._download_tasks: dict[str, asyncio.Task[dict[str, Any]]] = {}
        self._pause_events: dict[str, DownloadStreamControl] = {}
        self._download_semaphore = asyncio.Semaphore(MAX_CONCURRENT_DOWNLOADS)

    # -- submission ---------------------------------------------------------------------------

    async def download_from_civitai(
        self,
        model_id: int | None = None,
        model_version_id: int | None = None,
        save_dir: str | None = None,
        relative_path: str = "",
        progress_callback: Callable[..., Any] | None = None,
        use_default_paths: bool = False,
        download_id: str | None = None,
        source: str | None = None,
        file_params: Mapping[str, Any] | None = None,
        use_save_dir_as_root: bool = False,
    ) -> dict[str, Any]:
        """Download one model version; the result dict always carries ``download_id``."""
        if model_id is None and model_version_id is None:
            return _failure("Either model_id or model_version_id must be provided")
        self._forget_finished()
        params = copy.deepcopy(dict(file_params)) if file_params else None
        task_id = download_id or str(uuid.uuid4())
        record: dict[str, Any] = {
            "model_id": model_id,
            "model_version_id": model_version_id,
            "save_dir": save_dir,
            "relative_path": relative_path,
            "use_default_paths": use_default_paths,
            "use_save_dir_as_root": use_save_dir_as_root,
            "source": source,
            "file_params": params,
            "status": "queued",
            "progress": 0,
            "transfer_backend": "python",
            "bytes_downloaded": 0,
            "total_bytes": None,
            "bytes_per_second": 0.0,
            "last_progress_timestamp": None,
            "error": None,
        }
        self._active_downloads[task_id] = record
        control = DownloadStreamControl(stall_timeout=self._downloader.stall_timeout, clock=self._clock)
        self._pause_events[task_id] = control
        request = _Request(
            model_id,
            model_version_id,
            save_dir,
            relative_path,
            progress_callback,
            use_default_paths,
            source,
            params,
            use_save_dir_as_root,
        )
        task = asyncio.create_task(self._run(record, control, request))
        self._download_tasks[task_id] = task
        try:
            result = await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and not (current is not None and current.cancelling()):
                return {"success": True, "cancelled": True, "download_id": task_id}
            raise
        finally:
            self._download_tasks.pop(task_id, None)
            self._pause_events.pop(task_id, None)
        return {**result, "download_id": task_id}

    async def _run(
        self, record: dict[str, Any], control: DownloadStreamControl, request: _Request
    ) -> dict[str, Any]:
        record["status"] = "waiting"
        try:
            async with self._download_semaphore:
                await self._wait_while_paused(record, control)
                result = await self._execute_original_download(record, control, request)
        except asyncio.CancelledError:
            self._finish(record, "cancelled")
            raise
        if result["success"]:
            self._finish(record, result.get("status", "completed"))
        else:
            record["error"] = result["error"]
            self._finish(record, "failed")
        return result

    @staticmethod
    async def _wait_while_paused(record: dict[str, Any], control: DownloadStreamControl) -> None:
        # pause_download already marked the record as paused.
        if control.is_paused():
            await control.wait()
        record["status"] = "downloading"

    def _finish(self, record: dict[str, Any], status: str) -> None:
        record["status"] = status
        record["bytes_per_second"] = 0.0
        record["finished_at"] = self._clock()

    def _forget_finished(self) -> None:
        # Finished records stay visible for RECORD_TTL seconds; expiry is checked on use, by the clock.
        now = self._clock()
        for key, record in list(self._active_downloads.items()):
            if "finished_at" in record and now - record["finished_at"] >= RECORD_TTL:
                del self._active_downloads[key]

    # -- decision pipeline --------------------------------------------------------------------

    async def _execute_original_download(
        self, record: dict[str, Any], control: DownloadStreamControl, request: _Request
    ) -> dict[str, Any]:
        try:
            return await self._pipeline(record, control, request)
        except Exception as exc:
            text = str(exc)
            if any(word in text.lower() for word in ("401", "403", "unauthorized", "early access")):
                return _failure(f"Early access restriction: {text}. {PURCHASE_HINT}")
            return _failure(text)

    async def _library_holding(self, version_id: Any) -> str | None:
        for name in LIBRARY_ORDER:
            library = self._libraries.get(name)
            if library is not None and await library.version_exists(version_id):
                return name
        return None

    async def _file_in_library(self, model_type: str, version_id: Any, info: Mapping[str, Any]) -> bool:
        wanted_hash = ((info.get("hashes") or {}).get("SHA256") or "").lower()
        name = info.get("name")
        wanted_name = os.path.splitext(name)[0] if name else None
        for entry in await self._libraries[model_type].entries():
            if (entry.get("civitai") or {}).get("id") != version_id:
                continue
            have_hash = (entry.get("sha256") or "").lower()
            if wanted_hash and have_hash:
                # Both hashes known: they decide, and a different hash is a different file.
                if wanted_hash == have_hash:
                    return True
                continue
            path = entry.get("file_path")
            if (
                wanted_name is not None
                and path
                and os.path.splitext(os.path.basename(path))[0] == wanted_name
            ):
                return True
        return False

    @staticmethod
    def _skip(version_id: Any, info: Mapping[str, Any] | None, reason: str, message: str) -> dict[str, Any]:
        # download_from_civitai adds the download_id to every result.
        return {
            "success": True,
            "skipped": True,
            "status": "skipped",
            "reason": reason,
            "message": message,
            "model_version_id": version_id,
            "file_name": (info or {}).get("name"),
        }

    async def _pipeline(
        self, record: dict[str, Any], control: DownloadStreamControl, request: _Request
    ) -> dict[str, Any]:
        version_gate_done = request.model_version_id is not None and request.file_params is None
        if version_gate_done:
            holder = await self._library_holding(request.model_version_id)
            if holder:
                return _failure(f"Model version already exists in {holder} library")

        version_info = await self._metadata.get_model_version(request.model_id, request.model_version_id)
        if not version_info:
            return _failure("Failed to fetch model metadata")
        raw_type = str((version_info.get("model") or {}).get("type") or "")
        model_type = MODEL_TYPE_BY_CIVITAI_TYPE.get(raw_type.lower())
        if model_type is None:
            return _failure(f'Model type "{raw_type}" is not supported for download')

        files = version_info.get("files") or []
        target = resolve_target_file(files, request.file_params)
        chosen = target or fallback_file(files)
        version_id = (
            request.model_version_id if request.model_version_id is not None else version_info.get("id")
        )

        if (
            request.file_params is None
            and self._settings.get("skip_previously_downloaded_model_versions")
            and self._history.has_version(version_id)
        ):
            message = f"Model version {version_id} was downloaded before"
            return self._skip(version_id, chosen, "previously_downloaded_version", message)
        base_model = version_info.get("baseModel")
        if base_model in SUPPORTED_DOWNLOAD_SKIP_BASE_MODELS and base_model in (
            self._settings.get("download_skip_base_models") or ()
        ):
            message = f"Base model {base_model} is excluded from downloads"
            return self._skip(version_id, chosen, "excluded_base_model", message)

        if request.file_params is not None and target is not None and request.model_version_id is not None:
            if await self._file_in_library(model_type, version_id, target):
                return _failure(f"File {target.get('name')} already exists in {model_type} library")
        elif not version_gate_done:
            holder = await self._library_holding(version_id)
            if holder:
                return _failure(f"Model version already exists in {holder} library")

        save_dir, relative_path = request.save_dir, request.relative_path
        if request.use_default_paths:
            if not (request.use_save_dir_as_root and save_dir):
                unet = model_type == "checkpoint" and (chosen or {}).get("type") in (
                    "Diffusion Model",
                    "UNet",
                )
                root_name = "unet" if unet else model_type
                save_dir = self._settings.get(f"default_{root_name}_root")
                if not save_dir:
                    return _failure(f"Default {root_name} root path not set in settings")
            relative_path = self._relative_path(version_info, model_type)
        if not save_dir:
            return _failure("No save directory specified")
        base = os.path.abspath(os.path.normpath(save_dir))
        target_dir = os.path.abspath(os.path.normpath(os.path.join(save_dir, relative_path or "")))
        if target_dir != base and not target_dir.startswith(base + os.sep):
            return _failure("Download path is outside allowed directory")
        os.makedirs(target_dir, exist_ok=True)

        restriction = early_access_message(version_info)
        if chosen is None:
            return _failure("No suitable file found in metadata")
        urls = [
            mirror["url"].strip()
            for mirror in chosen.get("mirrors") or ()
            if mirror.get("deletedAt") is None and mirror.get("url")
        ]
        if request.source == "civarchive":
            urls.sort(key=lambda url: "civitai" in host_scope(url))
        if not urls and chosen.get("downloadUrl"):
            urls = [chosen["downloadUrl"]]
        if not urls:
            return _failure("No mirror URL found")
        if not chosen.get("name"):
            return _failure("No filename found in file info")

        metadata = self._build_metadata(version_info, chosen, model_type)
        result = await self._execute_download(
            urls,
            target_dir,
            chosen["name"],
            metadata,
            version_info,
            relative_path or "",
            request,
            model_type,
            record,
            control,
        )
        if not result["success"]:
            return _failure(restriction) if restriction else result
        try:
            self._history.record(request.model_id, version_id, chosen.get("id"), chosen["name"])
        except Exception:
            logger.exception("Could not record the download history")  # pragma: no mutate
        return result

    def _relative_path(self, version_info: Mapping[str, Any], model_type: str) -> str:
        model = version_info.get("model") or {}
        creator = version_info.get("creator") or model.get("creator") or {}
        priorities = (self._settings.get("priority_tags") or {}).get(model_type)
        fields = {
            "base_model": version_info.get("baseModel"),
            "first_tag": first_tag(model.get("tags"), priorities),
            "author": creator.get("username"),
            "model_name": model.get("name"),
            "version_name": version_info.get("name"),
        }
        templates = self._settings.get("download_path_templates") or {}
        mappings = self._settings.get("base_model_path_mappings") or {}
        return render_path_template(templates.get(model_type), fields, model_type, mappings)

    @staticmethod
    def _build_metadata(
        version_info: Mapping[str, Any], info: Mapping[str, Any], model_type: str
    ) -> dict[str, Any]:
        model = version_info.get("model") or {}
        # file_name, file_path and size are set per file once it is on disk.
        return {
            "model_name": model.get("name") or "",
            "sha256": ((info.get("hashes") or {}).get("SHA256") or "").lower(),
            "base_model": version_info.get("baseModel") or "",
            "preview_url": "",
            "preview_nsfw_level": 0,
            "model_type": model_type,
            "tags": list(model.get("tags") or ()),
            "from_civitai": True,
            # Copied deeply once per file in _execute_download.
            "civitai": dict(version_info),
        }

    # -- transfer -----------------------------------------------------------------------------

    async def _report(
        self, record: dict[str, Any], callback: Any, progress: int, snapshot: Any = None
    ) -> None:
        record["progress"] = progress
        await dispatch_progress(callback, progress, snapshot)

    def _tracker(self, record: dict[str, Any], control: DownloadStreamControl, callback: Any):
        async def track(percent: float, snapshot: Any) -> None:
            # A server that sends more than it announced can push the file past 100 %.
            overall = min(100, round(3 + 0.97 * percent))
            record["bytes_downloaded"] = snapshot.bytes_downloaded
            record["total_bytes"] = snapshot.total_bytes
            record["bytes_per_second"] = snapshot.bytes_per_second
            record["last_progress_timestamp"] = snapshot.timestamp
            control.mark_progress(snapshot.timestamp)
            await self._report(record, callback, overall, snapshot)

        return track

    async def _download_preview(
        self, images: list[dict[str, Any]], directory: str, base: str, metadata: dict[str, Any]
    ) -> str | None:
        image = select_preview_media(
            images,
            self._settings.get("blur_mature_content", True),
            self._settings.get("mature_blur_level"),
        )
        url = image.get("url")
        if not url:
            return None
        default_ext = ".mp4" if image.get("type") == "video" else ".png"
        ext = os.path.splitext(urlsplit(url).path)[1].lower()
        ext = ext if ext in PREVIEW_EXTENSIONS else default_ext
        ok, body, _ = await self._downloader.download_to_memory(url)
        if not ok:
            return None
        path = os.path.join(directory, base + ext)
        try:
            with open(path, "wb") as handle:
                handle.write(body)
        except OSError:
            # A half-written preview is worse than none; the path may also be a folder.
            with contextlib.suppress(OSError):
                os.remove(path)
            return None
        metadata["preview_nsfw_level"] = image.get("nsfwLevel") or 0
        return path

    async def _execute_download(
        self,
        urls: list[str],
        directory: str,
        file_name: str,
        metadata: dict[str, Any],
        version_info: Mapping[str, Any],
        relative_path: str,
        request: _Request,
        model_type: str,
        record: dict[str, Any],
        control: DownloadStreamControl,
    ) -> dict[str, Any]:
        callback = request.progress_callback
        # A name from the server is one path component, never a way out of the folder.
        save_path = unique_path(directory, os.path.basename(file_name.replace("\\", "/")))
        base = os.path.splitext(os.path.basename(save_path))[0]
        record["file_path"] = save_path
        record["part_path"] = save_path + PART_SUFFIX
        preview: str | None = None
        files: list[str] = [save_path]
        previews: list[str] = []
        try:
            if version_info.get("images"):
                await self._report(record, callback, 1)
                preview = await self._download_preview(version_info["images"], directory, base, metadata)
                record["preview_path"] = preview
                await self._report(record, callback, 3)
            await self._wait_while_paused(record, control)

            tracker = self._tracker(record, control, callback)
            for url in urls:
                ok, message = await self._downloader.download_file(
                    url,
                    save_path,
                    tracker,
                    use_auth=url.startswith(CIVITAI_DOWNLOAD_PREFIXES),
                    pause_event=control,
                )
                if ok:
                    break
            else:
                # Keep the .part: a later request resumes from it. The sidecar and preview go.
                _unlink(sidecar_path(save_path))
                _unlink(preview)
                return _failure(message)

            if zipfile.is_zipfile(save_path):
                extensions = EXTENSIONS_BY_MODEL_TYPE[model_type]
                loop = asyncio.get_running_loop()
                files = await loop.run_in_executor(
                    None, extract_model_files, save_path, directory, extensions
                )
                record["extracted_paths"] = files
                if not files:
                    raise ValueError(
                        f"Zip archive does not contain any supported model files ({', '.join(extensions)})"
                    )
                os.remove(save_path)
                # The archive's hash is not its files' hashes.
                metadata["sha256"] = ""

            entries = []
            for path in files:
                # Independent copies: a consumer changing one entry must not change another.
                entry = copy.deepcopy(metadata)
                entry["file_name"] = os.path.splitext(os.path.basename(path))[0]
                entry["file_path"] = normalize_path(path)
                entry["size"] = os.path.getsize(path)
                if entry["sha256"] == "":
                    entry["sha256"] = await asyncio.get_running_loop().run_in_executor(
                        None, calculate_sha256, path
                    )
                entries.append(entry)

            if preview is not None:
                ext = preview[len(os.path.join(directory, base)) :]
                for index, entry in enumerate(entries):
                    own = os.path.splitext(entry["file_path"])[0] + ext
                    if index == 0:
                        os.replace(preview, own)
                    else:
                        shutil.copyfile(previews[0], own)
                    previews.append(own)
                    entry["preview_url"] = normalize_path(own)
                record["preview_path"] = previews[0]
                # Copies made for extracted files are ours too: a cancel must remove them.
                record["preview_copies"] = previews[1:]

            for entry in entries:
                await self._writer.save_metadata(entry["file_path"], entry)
                await self._libraries[model_type].add_to_cache(entry, relative_path)
            await self._report(record, callback, 100)
            return {"success": True}
        except Exception as exc:
            for path in {save_path, *files}:
                _unlink(path)
                _unlink(sidecar_path(path))
            for path in {preview, *previews}:
                _unlink(path)
            return _failure(str(exc))

    # -- control ------------------------------------------------------------------------------

    def _lookup(self, download_id: str) -> dict[str, Any] | None:
        # A download has a task from submission until its result is returned, so a record without
        # one is history (completed, failed...) and can no longer be cancelled or skipped.
        if download_id not in self._download_tasks:
            return None
        return self._active_downloads.get(download_id)

    async def _stop_task(self, download_id: str) -> None:
        task = self._download_tasks[download_id]
        task.cancel()
        # A paused transfer must wake up to see the cancellation.
        self._pause_events[download_id].resume()
        await asyncio.wait({task}, timeout=self._cancel_wait)

    async def _delete(self, path: str) -> None:
        attempt = 1
        while True:
            try:
                os.remove(path)
                return
            except FileNotFoundError:
                return
            except OSError:
                if attempt == DELETE_ATTEMPTS:
                    logger.warning("Could not delete %s", path)  # pragma: no mutate
                    return
                attempt += 1
                await self._sleep(DELETE_DELAY)

    async def cancel_download(self, download_id: str) -> dict[str, Any]:
        """Stop a download and delete everything it created (only its tracked preview)."""
        record = self._lookup(download_id)
        if record is None:
            return dict(NOT_FOUND)
        # Speed and the final status are set by _finish once the task has stopped.
        record["status"] = "cancelling"
        await self._stop_task(download_id)
        file_path = record.get("file_path")
        models = [p for p in (file_path, *record.get("extracted_paths", ())) if p]
        artefacts = [*models, record.get("part_path"), file_path and file_path + ".aria2"]
        artefacts += [sidecar_path(p) for p in models] + [record.get("preview_path")]
        artefacts += record.get("preview_copies", [])
        for path in artefacts:
            if path:
                await self._delete(path)
        self._finish(record, "cancelled")
        self._download_tasks.pop(download_id, None)
        self._pause_events.pop(download_id, None)
        return {"success": True, "message": "Download cancelled successfully"}

    async def skip_download(self, download_id: str) -> dict[str, Any]:
        """Stop a download but keep its files, so a later request resumes from the ``.part``."""
        if self._lookup(download_id) is None:
            return dict(NOT_FOUND)
        await self._stop_task(download_id)
        self._active_downloads.pop(download_id, None)
        self._download_tasks.pop(download_id, None)
        self._pause_events.pop(download_id, None)
        return {"success": True, "message": "Download skipped successfully"}

    async def pause_download(self, download_id: str) -> dict[str, Any]:
        control = self._pause_events.get(download_id)
        record = self._active_downloads.get(download_id)
        if control is None or record is None:
            return dict(NOT_FOUND)
        if control.is_paused():
            return {"success": False, "error": "Download is already paused"}
        control.pause()
        record["status"] = "paused"
        record["bytes_per_second"] = 0.0
        return {"success": True, "message": "Download paused successfully"}

    async def resume_download(self, download_id: str) -> dict[str, Any]:
        control = self._pause_events.get(download_id)
        if control is None:
            return dict(NOT_FOUND)
        if not control.is_paused():
            return {"success": False, "error": "Download is not paused"}
        # After a long pause the server has likely dropped the connection: start a fresh request.
        idle = control.time_since_last_progress()
        control.resume(
            force_reconnect=idle is not None and idle >= max(MIN_RECONNECT_IDLE, control.stall_timeout / 2)
        )
        self._active_downloads[download_id]["status"] = "downloading"
        return {"success": True, "message": "Download resumed successfully"}

    async def get_active_downloads(self) -> dict[str, Any]:
        self._forget_finished()
        keys = (
            "model_id",
            "model_version_id",
            "progress",
            "status",
            "error",
            "bytes_downloaded",
            "total_bytes",
            "bytes_per_second",
        )
        return {
            "downloads": [
                {"download_id": key, **{name: record.get(name) for name in keys}}
                for key, record in self._active_downloads.items()
            ]
        }
