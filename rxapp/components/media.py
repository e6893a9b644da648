"""Photo widgets (issue 16): thumbnails that open large on a tap, and upload
zones with a progress bar (a phone on a slow link sees how far it is).
Each page inserts one or two of these with a line or two:

* ``case_media_panel(code)`` — /cases/[code], beside the timeline;
* ``resident_photo_uploader()`` — /public/submit, after the code is shown;
* ``public_track_photos(code)`` — /public/track, in the case card;
* ``visit_photos(visit_id, label)`` + ``visit_media_dialog()`` — /diary/[id];
* ``item_photos(item_id, label)`` + ``item_media_dialog()`` — /meetings/[id].
"""

import reflex as rx
from reflex_components_core.el.elements.forms import Input

from rxapp.domain.media.images import MAX_FILE_BYTES, MAX_PUBLIC_FILES, MAX_STAFF_FILES
from rxapp.state.base import T, UiState
from rxapp.state.media import (
    CASE_UPLOAD_ID,
    ITEM_UPLOAD_ID,
    RESIDENT_UPLOAD_ID,
    VISIT_UPLOAD_ID,
    CaseMediaState,
    ItemMediaState,
    PublicMediaState,
    VisitMediaState,
)

PHOTO_TYPES = {
    "image/jpeg": [".jpg", ".jpeg"],
    "image/png": [".png"],
    "image/webp": [".webp"],
    "image/heic": [".heic"],
    "image/heif": [".heif"],
}
PHOTO_AND_PDF_TYPES = {**PHOTO_TYPES, "application/pdf": [".pdf"]}
THUMB = "88px"


# ----------------------------------------------------------------------------
# Thumbnails
# ----------------------------------------------------------------------------
def _large(m, actions: rx.Component | None = None) -> rx.Component:
    return rx.dialog.content(
        rx.dialog.title(UiState.t[m["stage_key"]], size="3"),
        rx.image(src=m["url"], width="100%", height="auto", max_height="75vh", object_fit="contain", alt=UiState.t[m["stage_key"]], class_name="media-large"),
        rx.flex(
            rx.text(m["at"], " ", m["by"], size="1", color_scheme="gray"),
            rx.spacer(),
            *([actions] if actions is not None else []),
            rx.dialog.close(rx.button(T("media.close"), variant="soft", size="2")),
            gap="8px",
            wrap="wrap",
            align="center",
            width="100%",
            margin_top="8px",
        ),
        max_width="920px",
        width="calc(100vw - 16px)",
        padding="12px",
    )


def thumbnail(m, actions: rx.Component | None = None, show_public: bool = False) -> rx.Component:
    """A photo's thumbnail (tap: the web-size photo in a dialog), or a PDF's
    download link."""
    badge = rx.cond(
        m["public"] == "1",
        rx.badge(T("media.public"), color_scheme="green", variant="solid", size="1", position="absolute", bottom="2px", left="2px"),
    )
    photo = rx.dialog.root(
        rx.dialog.trigger(
            # a button, so the photo opens from the keyboard too (its name: the image's alt)
            rx.el.button(
                rx.image(src=m["thumb_url"], width=THUMB, height=THUMB, object_fit="cover", border_radius="6px", loading="lazy", alt=UiState.t[m["stage_key"]]),
                *([badge] if show_public else []),
                type="button",
                position="relative",
                cursor="pointer",
                padding="0",
                border="none",
                background="none",
                display="block",
                class_name="media-thumb",
            )
        ),
        _large(m, actions),
    )
    pdf = rx.link(
        rx.vstack(
            rx.icon("file-text", size=28),
            rx.text(m["filename"], size="1", max_width=THUMB, overflow="hidden", text_overflow="ellipsis", white_space="nowrap"),
            align="center",
            justify="center",
            spacing="1",
            width=THUMB,
            height=THUMB,
            border=f"1px solid {rx.color('gray', 6)}",
            border_radius="6px",
        ),
        href=m["url"],
        is_external=True,
        class_name="media-pdf",
    )
    return rx.cond(m["kind"] == "pdf", pdf, photo)


def thumbnails(items, actions=None, show_public: bool = False, **props) -> rx.Component:
    return rx.flex(
        rx.foreach(items, lambda m: thumbnail(m, actions(m) if actions else None, show_public)),
        gap="8px",
        wrap="wrap",
        **props,
    )


# ----------------------------------------------------------------------------
# Upload zone with progress
# ----------------------------------------------------------------------------
def _name_file_input(upload: rx.Component, label: rx.Var) -> rx.Component:
    """The drop zone's own (visually hidden) file input gets the picker's name,
    so assistive technology does not meet an unnamed input."""
    stack = [upload]
    while stack:
        component = stack.pop()
        if isinstance(component, Input):
            component.custom_attrs["aria-label"] = label
        stack.extend(c for c in component.children if isinstance(c, rx.Component))
    return upload


def uploader(upload_id: str, state, on_upload, *, max_files: int, accept: dict, hint_key: str, pick_key: str) -> rx.Component:
    chosen = rx.selected_files(upload_id)
    return rx.vstack(
        _name_file_input(rx.upload.root(
            rx.vstack(
                rx.button(rx.icon("camera", size=16), T(pick_key), type="button", variant="soft", size="3"),
                rx.text(T(hint_key), size="1", color_scheme="gray", text_align="center"),
                align="center",
                spacing="2",
                padding="14px",
                width="100%",
                border=f"1px dashed {rx.color('accent', 7)}",
                border_radius="8px",
            ),
            id=upload_id,
            accept=accept,
            max_files=max_files,
            max_size=MAX_FILE_BYTES,
            multiple=True,
            width="100%",
            class_name="media-drop",
        ), T(pick_key)),
        rx.cond(
            chosen.length() > 0,
            rx.vstack(
                rx.foreach(chosen, lambda name: rx.text(name, size="1", word_break="break-all")),
                rx.hstack(
                    rx.button(
                        rx.icon("upload", size=14),
                        T("media.upload"),
                        on_click=on_upload(rx.upload_files(upload_id=upload_id, on_upload_progress=state.upload_progress)),
                        loading=state.uploading,
                        size="2",
                        class_name="media-upload-button",
                    ),
                    rx.button(T("media.clear"), on_click=rx.clear_selected_files(upload_id), variant="soft", color_scheme="gray", size="2", type="button"),
                    spacing="2",
                ),
                spacing="2",
                width="100%",
            ),
        ),
        rx.cond(
            state.uploading,
            rx.vstack(
                rx.text(T("media.uploading"), " ", state.progress, "%", size="1"),
                rx.progress(value=state.progress, max=100, width="100%"),
                width="100%",
                spacing="1",
                class_name="media-progress",
            ),
        ),
        rx.cond(state.error != "", rx.callout(state.error, icon="triangle-alert", color_scheme="red", size="1", width="100%", class_name="media-error")),
        rx.cond(state.notice != "", rx.callout(state.notice, icon="circle-check", color_scheme="green", size="1", width="100%", class_name="media-notice")),
        spacing="2",
        width="100%",
    )


# ----------------------------------------------------------------------------
# /cases/[code]
# ----------------------------------------------------------------------------
def _publish_toggle(m) -> rx.Component:
    S = CaseMediaState
    return rx.cond(
        m["kind"] == "image",
        rx.cond(
            m["public"] == "1",
            rx.button(rx.icon("eye-off", size=14), T("media.unpublish"), on_click=S.unpublish(m["token"]), variant="soft", color_scheme="gray", size="2", class_name="media-unpublish"),
            rx.button(rx.icon("eye", size=14), T("media.publish"), on_click=S.publish(m["token"]), size="2", class_name="media-publish"),
        ),
    )


def _stage_row(key: str, items) -> rx.Component:
    return rx.cond(
        items.length() > 0,
        rx.vstack(
            rx.text(T(key), size="2", weight="medium"),
            thumbnails(items, actions=_publish_toggle, show_public=True),
            spacing="1",
            width="100%",
        ),
    )


def case_media_panel(code) -> rx.Component:
    """The case's photos and files, before and after, and the staff upload."""
    S = CaseMediaState
    stage_select = rx.select.root(
        rx.select.trigger(id="media-stage", aria_label=T("media.stage")),
        rx.select.content(*[rx.select.item(T(f"media.stage.{s}"), value=s) for s in ("intake", "before", "after")]),
        value=S.stage,
        on_change=S.set_stage,
        size="2",
    )
    return rx.vstack(
        rx.hstack(rx.icon("image", size=16), rx.text(T("media.title"), weight="bold", size="3"), rx.badge(S.items.length(), variant="soft", radius="full"), align="center", spacing="2"),
        rx.cond(S.items.length() == 0, rx.text(T("media.none"), size="2", color_scheme="gray")),
        _stage_row("media.public.before", S.before_items),
        _stage_row("media.public.after", S.after_items),
        rx.text(T("media.publish_hint"), size="1", color_scheme="gray"),
        rx.hstack(rx.text(T("media.stage"), size="2"), stage_select, align="center", spacing="2"),
        uploader(CASE_UPLOAD_ID, S, S.upload, max_files=MAX_STAFF_FILES, accept=PHOTO_AND_PDF_TYPES, hint_key="media.drop_hint_pdf", pick_key="media.pick_files"),
        key=code,
        on_mount=S.load,
        spacing="3",
        width="100%",
        padding="14px",
        border=f"1px solid {rx.color('gray', 4)}",
        border_radius="10px",
        background=rx.color("gray", 1),
        id="case-media",
    )


# ----------------------------------------------------------------------------
# Public pages
# ----------------------------------------------------------------------------
def resident_photo_uploader() -> rx.Component:
    S = PublicMediaState
    return rx.vstack(
        rx.text(T("media.resident.title"), weight="medium", size="3"),
        rx.text(T("media.resident.hint"), size="1", color_scheme="gray"),
        uploader(RESIDENT_UPLOAD_ID, S, S.upload_resident_photos, max_files=MAX_PUBLIC_FILES, accept=PHOTO_TYPES, hint_key="media.drop_hint", pick_key="media.pick"),
        spacing="2",
        width="100%",
        id="resident-media",
    )


def public_track_photos(code) -> rx.Component:
    S = PublicMediaState

    def row(key: str, items) -> rx.Component:
        return rx.cond(items.length() > 0, rx.vstack(rx.text(T(key), size="2", weight="medium"), thumbnails(items), spacing="1", width="100%"))

    return rx.vstack(
        rx.cond(
            (S.track_before.length() + S.track_after.length()) > 0,
            rx.vstack(
                rx.heading(T("media.public.title"), size="3"),
                row("media.public.before", S.track_before),
                row("media.public.after", S.track_after),
                spacing="2",
                width="100%",
            ),
        ),
        key=code,
        on_mount=S.load_track,
        width="100%",
        id="track-media",
    )


# ----------------------------------------------------------------------------
# /diary/[id] and /meetings/[id]
# ----------------------------------------------------------------------------
def _target_photos(S, target_id, label) -> rx.Component:
    items = S.by_target.get(target_id, [])
    may_add = S.attachable.contains(target_id)
    return rx.cond(
        (items.length() > 0) | may_add,
        rx.flex(
            rx.cond(items.length() > 0, thumbnails(items)),
            rx.cond(
                may_add,
                rx.button(rx.icon("camera", size=14), T("media.add"), on_click=S.open_upload(target_id, label), variant="soft", size="1", class_name="media-add"),
            ),
            gap="8px",
            wrap="wrap",
            align="center",
            width="100%",
        ),
    )


def _target_dialog(S, upload_id: str, accept: dict, hint_key: str) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(T("media.add")),
            rx.text(S.target_label, size="2", color_scheme="gray"),
            uploader(upload_id, S, S.upload, max_files=MAX_STAFF_FILES, accept=accept, hint_key=hint_key, pick_key="media.pick"),
            rx.flex(rx.dialog.close(rx.button(T("media.close"), variant="soft", size="2")), justify="end", margin_top="8px"),
            max_width="520px",
            width="calc(100vw - 24px)",
        ),
        open=S.dialog_open,
        on_open_change=S.set_dialog_open,
    )


def visit_photos(visit_id, label="") -> rx.Component:
    return _target_photos(VisitMediaState, visit_id, label)


def item_photos(item_id, label="") -> rx.Component:
    return _target_photos(ItemMediaState, item_id, label)


def visit_media_dialog(count) -> rx.Component:
    """Once per diary page: loads the visits' photos (again when ``count``,
    the number of visits shown, changes) and holds the upload dialog."""
    return rx.box(_target_dialog(VisitMediaState, VISIT_UPLOAD_ID, PHOTO_TYPES, "media.drop_hint"), key=count, on_mount=VisitMediaState.load, id="visit-media")


def item_media_dialog(count) -> rx.Component:
    """Once per meeting page: loads the items' photos (again when ``count``
    changes) and holds the upload dialog."""
    return rx.box(_target_dialog(ItemMediaState, ITEM_UPLOAD_ID, PHOTO_AND_PDF_TYPES, "media.drop_hint_pdf"), key=count, on_mount=ItemMediaState.load, id="item-media")
