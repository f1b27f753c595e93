"""The pages' own words in every language they speak; the study's labels come from forms/.

A user reads the pages in their `User.language`, unless the `lang` query parameter or cookie says otherwise.
"""

from __future__ import annotations

from typing import Any

from app.forms.labels import label_in

LANGUAGES = ("en", "es")
LANGUAGE_NAMES = {"en": "English", "es": "Español"}

TEXTS: dict[str, dict[str, str]] = {
    "app_name": {"en": "Clinical data collection", "es": "Recogida de datos clínicos"},
    "skip_to_content": {"en": "Skip to content", "es": "Saltar al contenido"},
    "language": {"en": "Language", "es": "Idioma"},
    "main_menu": {"en": "Main menu", "es": "Menú principal"},
    "patients": {"en": "Patients", "es": "Pacientes"},
    "queries": {"en": "Queries", "es": "Consultas"},
    "coordination": {"en": "Coordination", "es": "Coordinación"},
    "coordination_intro": {
        "en": "The merged dataset of every site, its data quality and the cohort summary.",
        "es": "El conjunto de datos de todos los centros, su calidad y el resumen de la cohorte.",
    },
    "quality_report": {"en": "Data-quality report", "es": "Informe de calidad de los datos"},
    "quality_help": {
        "en": "Completeness per form and field, values outside expected ranges, failing checks, "
        "open queries.",
        "es": "Completitud por formulario y variable, valores fuera de rango, comprobaciones fallidas, "
        "consultas abiertas.",
    },
    "as_csv": {"en": "as CSV", "es": "en CSV"},
    "cohort_summary": {"en": "Cohort summary", "es": "Resumen de la cohorte"},
    "group_by": {"en": "Group by (a coded variable)", "es": "Agrupar por (una variable codificada)"},
    "event": {"en": "Event (a 0/1 variable)", "es": "Evento (una variable 0/1)"},
    "event_day": {"en": "Study day of the event", "es": "Día de estudio del evento"},
    "competing": {"en": "Competing event", "es": "Evento competitivo"},
    "competing_day": {
        "en": "Study day of the competing event",
        "es": "Día de estudio del evento competitivo",
    },
    "censor_day": {"en": "Study day of last follow-up", "es": "Día de estudio del último seguimiento"},
    "show_summary": {"en": "Show summary", "es": "Ver resumen"},
    "export_data": {"en": "Export the dataset", "es": "Exportar los datos"},
    "formats": {"en": "Formats", "es": "Formatos"},
    "sites": {"en": "Sites", "es": "Centros"},
    "labels_language": {"en": "Labels and codebook in", "es": "Etiquetas y libro de códigos en"},
    "no_site_chosen": {
        "en": "Tick at least one site to export.",
        "es": "Marque al menos un centro para exportar.",
    },
    "only_status": {"en": "Only forms that are", "es": "Solo formularios"},
    "any_status": {"en": "any status", "es": "en cualquier estado"},
    "drop_free_text": {"en": "Drop free text", "es": "Quitar el texto libre"},
    "top_code": {
        "en": "Top-code (VARIABLE=N, comma-separated)",
        "es": "Truncar (VARIABLE=N, separadas por comas)",
    },
    "top_code_help": {
        "en": "Starts with the study's top-codes; clear it to export the values as entered.",
        "es": "Empieza con los truncamientos del estudio; vacíelo para exportar los valores tal cual.",
    },
    "download_zip": {"en": "Download (zip)", "es": "Descargar (zip)"},
    "sign_in": {"en": "Sign in", "es": "Iniciar sesión"},
    "sign_out": {"en": "Sign out", "es": "Cerrar sesión"},
    "signed_out": {"en": "You have signed out.", "es": "Ha cerrado la sesión."},
    "signed_out_idle": {
        "en": "You were signed out after {n} minutes without activity. Sign in again to go on: "
        "what you had typed on a form and not saved is kept in this tab.",
        "en_one": "You were signed out after a minute without activity. Sign in again to go on: "
        "what you had typed on a form and not saved is kept in this tab.",
        "es": "Se cerró su sesión tras {n} minutos sin actividad. Inicie sesión de nuevo para seguir: "
        "lo que había escrito en un formulario sin guardar se conserva en esta pestaña.",
        "es_one": "Se cerró su sesión tras un minuto sin actividad. Inicie sesión de nuevo para seguir: "
        "lo que había escrito en un formulario sin guardar se conserva en esta pestaña.",
    },
    "email": {"en": "Email", "es": "Correo electrónico"},
    "password": {"en": "Password", "es": "Contraseña"},
    "login_intro": {
        "en": "Sign in with the email and password your study coordinator gave you.",
        "es": "Inicie sesión con el correo y la contraseña que le facilitó la coordinación del estudio.",
    },
    "wrong_credentials": {"en": "Wrong email or password.", "es": "Correo o contraseña incorrectos."},
    "account_locked": {
        "en": "Too many wrong passwords: this account is locked until {until}.",
        "es": "Demasiadas contraseñas incorrectas: esta cuenta está bloqueada hasta las {until}.",
    },
    "account_inactive": {
        "en": "This account cannot sign in; ask an administrator.",
        "es": "Esta cuenta no puede iniciar sesión; consulte a un administrador.",
    },
    "breadcrumb": {"en": "Breadcrumb", "es": "Ruta de navegación"},
    "role_site_entry": {"en": "data entry", "es": "entrada de datos"},
    "role_site_manager": {"en": "site data manager", "es": "gestor de datos del centro"},
    "role_monitor": {"en": "monitor", "es": "monitor"},
    "role_coordinator": {"en": "coordinator", "es": "coordinador"},
    "role_admin": {"en": "administrator", "es": "administrador"},
    # statuses
    "status": {"en": "Status", "es": "Estado"},
    "status_empty": {"en": "Empty", "es": "Vacío"},
    "status_incomplete": {"en": "Incomplete", "es": "Incompleto"},
    "status_complete": {"en": "Complete", "es": "Completo"},
    "status_verified": {"en": "Verified", "es": "Verificado"},
    "status_locked": {"en": "Locked", "es": "Bloqueado"},
    "short_empty": {"en": "—", "es": "—"},
    "short_incomplete": {"en": "Inc", "es": "Inc"},
    "short_complete": {"en": "Comp", "es": "Comp"},
    "short_verified": {"en": "Ver", "es": "Ver"},
    "short_locked": {"en": "Lock", "es": "Bloq"},
    "legend": {"en": "Legend", "es": "Leyenda"},
    # dashboard
    "dashboard_title": {"en": "Patients", "es": "Pacientes"},
    "all_sites": {"en": "All sites", "es": "Todos los centros"},
    "site": {"en": "Site", "es": "Centro"},
    "search_study_id": {"en": "Study ID or site pseudonym", "es": "ID de estudio o seudónimo del centro"},
    "search_help": {
        "en": "A site pseudonym is the one in your site's linkage file (at least its first 8 characters).",
        "es": "El seudónimo del centro es el de su fichero de enlace local "
        "(al menos sus 8 primeros caracteres).",
    },
    "site_pseudonym": {"en": "Site pseudonym", "es": "Seudónimo del centro"},
    "search": {"en": "Search", "es": "Buscar"},
    "clear": {"en": "Clear", "es": "Borrar"},
    "filter": {"en": "Filter", "es": "Filtrar"},
    "new_patient": {"en": "New patient", "es": "Nuevo paciente"},
    "patient_created": {"en": "Patient {record_id} created.", "es": "Paciente {record_id} creado."},
    "study_id": {"en": "Study ID", "es": "ID de estudio"},
    "open_queries": {"en": "Open queries", "es": "Consultas abiertas"},
    "progress": {"en": "Progress", "es": "Progreso"},
    "once_forms_done": {
        "en": "{done} of {total} once-per-patient forms complete or better ({percent}%)",
        "es": "{done} de {total} formularios únicos completos o mejor ({percent}%)",
    },
    "forms_by_status": {"en": "Form entries by status", "es": "Formularios por estado"},
    "no_patients": {"en": "No patients found.", "es": "No se han encontrado pacientes."},
    "page_n_of": {"en": "Page {page} of {pages}", "es": "Página {page} de {pages}"},
    "previous": {"en": "Previous", "es": "Anterior"},
    "next": {"en": "Next", "es": "Siguiente"},
    "pagination": {"en": "Pages", "es": "Páginas"},
    "grid_caption": {
        "en": "Status of each form per patient ({shown} of {total} shown)",
        "es": "Estado de cada formulario por paciente ({shown} de {total} mostrados)",
    },
    "entries": {"en": "{n} entries", "en_one": "1 entry", "es": "{n} registros", "es_one": "1 registro"},
    # patient page
    "patient": {"en": "Patient", "es": "Paciente"},
    "created": {"en": "Created", "es": "Creado"},
    "forms": {"en": "Forms", "es": "Formularios"},
    "form": {"en": "Form", "es": "Formulario"},
    "open": {"en": "Open", "es": "Abrir"},
    "edit": {"en": "Edit", "es": "Editar"},
    "view": {"en": "View", "es": "Ver"},
    "add_entry": {"en": "Add an entry", "es": "Añadir un registro"},
    "delete": {"en": "Delete", "es": "Eliminar"},
    "no_entries": {"en": "No entries yet.", "es": "Aún no hay registros."},
    "new_entry": {"en": "new entry", "es": "nuevo registro"},
    "entry_n": {"en": "entry {n}", "es": "registro {n}"},
    "record_history": {"en": "History of this patient", "es": "Historial de este paciente"},
    # form page
    "save": {"en": "Save", "es": "Guardar"},
    "save_and_complete": {"en": "Save and mark complete", "es": "Guardar y marcar como completo"},
    "saved_and_completed": {"en": "Saved and marked complete.", "es": "Guardado y marcado como completo."},
    "saved_not_completed": {
        "en": "Saved, but not marked complete: {n} checks fail (shown next to the fields).",
        "en_one": "Saved, but not marked complete: 1 check fails (shown next to the field).",
        "es": "Guardado, pero no marcado como completo: fallan {n} comprobaciones (junto a los campos).",
        "es_one": "Guardado, pero no marcado como completo: falla 1 comprobación (junto al campo).",
    },
    "saved": {"en": "Saved.", "es": "Guardado."},
    "saved_still_missing": {
        "en": "Saved. {n} required values are still blank: fill them in before marking the form complete.",
        "en_one": "Saved. A required value is still blank: fill it in before marking the form complete.",
        "es": "Guardado. Faltan {n} datos obligatorios: rellénelos antes de marcar el formulario "
        "como completo.",
        "es_one": "Guardado. Falta un dato obligatorio: rellénelo antes de marcar el formulario "
        "como completo.",
    },
    "saved_verification_withdrawn": {
        "en": "Saved. The change withdrew the monitor's verification: the form is complete and needs "
        "verifying again.",
        "es": "Guardado. El cambio retira la verificación del monitor: el formulario queda completo y debe "
        "verificarse de nuevo.",
    },
    "saved_queries_answered": {
        "en": "Saved. {n} data queries answered: their checks now pass; the monitor will close them.",
        "en_one": "Saved. A data query was answered: its check now passes; the monitor will close it.",
        "es": "Guardado. {n} consultas respondidas: sus comprobaciones ya se cumplen; "
        "el monitor las cerrará.",
        "es_one": "Guardado. Una consulta quedó respondida: la comprobación ya se cumple; "
        "el monitor la cerrará.",
    },
    "saved_with_queries": {
        "en": "Saved. {n} warnings opened a query each: see the messages next to the fields.",
        "en_one": "Saved. A warning opened a query: see the message next to the field.",
        "es": "Guardado. {n} avisos han abierto una consulta cada uno: vea los mensajes junto a los campos.",
        "es_one": "Guardado. Un aviso ha abierto una consulta: vea el mensaje junto al campo.",
    },
    "no_changes": {
        "en": "Nothing had changed: nothing was saved.",
        "es": "No había cambios: no se ha guardado nada.",
    },
    "not_saved": {
        "en": "Not saved: {n} problems to fix.",
        "en_one": "Not saved: 1 problem to fix.",
        "es": "No se ha guardado: hay {n} problemas que corregir.",
        "es_one": "No se ha guardado: hay 1 problema que corregir.",
    },
    "problems": {"en": "Problems", "es": "Problemas"},
    "other_form_problem": {"en": "In {form}: {message}", "es": "En {form}: {message}"},
    "required_mark": {"en": "required", "es": "obligatorio"},
    "allowed_range": {"en": "Allowed: {range}", "es": "Permitido: {range}"},
    "missing_codes_hint": {
        "en": "Where a value is not known, you may type a missing-data code: {codes}.",
        "es": "Si un dato no se conoce, puede escribir un código de dato ausente: {codes}.",
    },
    "missing_data": {"en": "Missing data", "es": "Dato ausente"},
    "choose": {"en": "— choose —", "es": "— elija —"},
    "yes": {"en": "Yes", "es": "Sí"},
    "no": {"en": "No", "es": "No"},
    "true": {"en": "True", "es": "Verdadero"},
    "false": {"en": "False", "es": "Falso"},
    "calculated": {"en": "calculated", "es": "calculado"},
    "not_collected": {
        "en": "Not collected: this study refuses direct identifiers.",
        "es": "No se recoge: este estudio no acepta identificadores directos.",
    },
    "history": {"en": "History", "es": "Historial"},
    "open_query": {"en": "Open a query", "es": "Abrir una consulta"},
    "version": {"en": "version {n}", "es": "versión {n}"},
    "last_saved": {"en": "last saved {at}", "es": "guardado por última vez {at}"},
    "read_only": {
        "en": "You can read this form but not change it.",
        "es": "Puede leer este formulario pero no modificarlo.",
    },
    "locked_note": {
        "en": "This form is locked: the site's data manager must unlock it before it can change.",
        "es": "Este formulario está bloqueado: el gestor de datos del centro debe desbloquearlo para "
        "poder modificarlo.",
    },
    "reason_for_change": {"en": "Reason for change", "es": "Motivo del cambio"},
    "reason_needed": {
        "en": "This form is {status}: say why you are changing it. The reason is kept in its history.",
        "es": "Este formulario está {status}: indique por qué lo modifica. El motivo queda en su historial.",
    },
    "reason_required": {
        "en": "A reason for the change is required.",
        "es": "Es obligatorio indicar el motivo del cambio.",
    },
    "workflow": {"en": "Form status", "es": "Estado del formulario"},
    "action_complete": {"en": "Mark complete", "es": "Marcar como completo"},
    "action_reopen": {"en": "Reopen", "es": "Reabrir"},
    "action_verify": {"en": "Verify", "es": "Verificar"},
    "action_unverify": {"en": "Withdraw verification", "es": "Retirar la verificación"},
    "action_lock": {"en": "Lock", "es": "Bloquear"},
    "action_unlock": {"en": "Unlock", "es": "Desbloquear"},
    "done_complete": {"en": "Marked complete.", "es": "Marcado como completo."},
    "done_reopen": {"en": "Reopened.", "es": "Reabierto."},
    "done_verify": {"en": "Verified.", "es": "Verificado."},
    "done_unverify": {"en": "Verification withdrawn.", "es": "Verificación retirada."},
    "done_lock": {"en": "Locked.", "es": "Bloqueado."},
    "done_unlock": {"en": "Unlocked.", "es": "Desbloqueado."},
    "cannot_complete": {
        "en": "Cannot be marked complete: {n} checks fail.",
        "en_one": "Cannot be marked complete: 1 check fails.",
        "es": "No se puede marcar como completo: fallan {n} comprobaciones.",
        "es_one": "No se puede marcar como completo: falla 1 comprobación.",
    },
    "action_refused": {"en": "That could not be done: {detail}", "es": "No se ha podido hacer: {detail}"},
    "studyday_helper": {"en": "Study-day helper", "es": "Ayuda para el día de estudio"},
    "infusion_date": {"en": "Infusion date (day 0)", "es": "Fecha de la infusión (día 0)"},
    "studyday_privacy": {
        "en": "Type calendar dates to have study days computed. Dates stay in this browser tab: "
        "they are never sent to the server.",
        "es": "Escriba fechas de calendario para calcular los días de estudio. Las fechas se quedan en "
        "esta pestaña del navegador: nunca se envían al servidor.",
    },
    "calendar_date": {"en": "Calendar date (not sent)", "es": "Fecha de calendario (no se envía)"},
    "need_infusion_date": {
        "en": "Type the infusion date first.",
        "es": "Escriba primero la fecha de la infusión.",
    },
    "day_n": {"en": "Study day {n}", "es": "Día de estudio {n}"},
    # conflict
    "conflict_title": {
        "en": "Someone else saved this form",
        "es": "Otra persona ha guardado este formulario",
    },
    "conflict_intro": {
        "en": "While you were editing, this form was saved by someone else (now {version}). Nothing of yours "
        "is lost: your values are still in the form below. Compare, correct if needed, and save again "
        "to keep your values.",
        "es": "Mientras editaba, otra persona guardó este formulario (ahora {version}). No se ha perdido "
        "nada suyo: sus valores siguen en el formulario. Compare, corrija si hace falta y vuelva a guardar "
        "para conservar sus valores.",
    },
    "field": {"en": "Field", "es": "Campo"},
    "theirs": {"en": "Saved by the other person", "es": "Guardado por la otra persona"},
    "yours": {"en": "Yours (not saved yet)", "es": "El suyo (aún sin guardar)"},
    "discard_mine": {"en": "Discard mine and reload", "es": "Descartar lo mío y recargar"},
    "stale_action": {
        "en": "This form changed since you loaded it: look at it again before you do that.",
        "es": "Este formulario ha cambiado desde que lo abrió: revíselo antes de hacerlo.",
    },
    # delete
    "delete_title": {"en": "Delete {what}", "es": "Eliminar {what}"},
    "delete_intro": {
        "en": "The entry disappears from the forms and exports; its values stay in the audit trail.",
        "es": "El registro desaparece de los formularios y las exportaciones; sus valores se conservan en "
        "la pista de auditoría.",
    },
    "delete_reason": {"en": "Why is it deleted?", "es": "¿Por qué se elimina?"},
    "delete_breaks_completion": {
        "en": "Not deleted: every form of this patient is complete, and without this entry a check "
        "for a complete record would fail. Mark a form incomplete first, or add the entry that "
        "replaces this one before deleting it.",
        "es": "No se ha eliminado: todos los formularios de este paciente están completos y, sin este "
        "registro, fallaría una comprobación de registro completo. Marque antes un formulario como "
        "incompleto, o añada el registro que sustituye a este antes de eliminarlo.",
    },
    "delete_reason_required": {
        "en": "Say why the entry is deleted.",
        "es": "Indique por qué se elimina el registro.",
    },
    "cancel": {"en": "Cancel", "es": "Cancelar"},
    "deleted": {"en": "Entry {n} of {form} deleted.", "es": "Registro {n} de {form} eliminado."},
    # history
    "history_title": {"en": "History", "es": "Historial"},
    "history_of_field": {"en": "History of “{field}”", "es": "Historial de «{field}»"},
    "when": {"en": "When", "es": "Cuándo"},
    "who": {"en": "Who", "es": "Quién"},
    "what": {"en": "What", "es": "Qué"},
    "old_value": {"en": "Old value", "es": "Valor anterior"},
    "new_value": {"en": "New value", "es": "Valor nuevo"},
    "why": {"en": "Why", "es": "Motivo"},
    "no_history": {"en": "No changes recorded.", "es": "No hay cambios registrados."},
    "audit_record_created": {"en": "patient created", "es": "paciente creado"},
    "audit_form_created": {"en": "first saved", "es": "primer guardado"},
    "audit_form_saved": {"en": "saved", "es": "guardado"},
    "audit_form_recalculated": {"en": "recalculated", "es": "recalculado"},
    "audit_form_deleted": {"en": "deleted", "es": "eliminado"},
    "audit_form_complete": {"en": "marked complete", "es": "marcado como completo"},
    "audit_form_reopen": {"en": "reopened", "es": "reabierto"},
    "audit_form_verify": {"en": "verified", "es": "verificado"},
    "audit_form_unverify": {"en": "verification withdrawn", "es": "verificación retirada"},
    "audit_form_lock": {"en": "locked", "es": "bloqueado"},
    "audit_form_unlock": {"en": "unlocked", "es": "desbloqueado"},
    "audit_query_opened": {"en": "query opened", "es": "consulta abierta"},
    "audit_query_answered": {"en": "query answered", "es": "consulta respondida"},
    "audit_query_closed": {"en": "query closed", "es": "consulta cerrada"},
    "audit_query_cancelled": {"en": "query cancelled", "es": "consulta anulada"},
    "audit_query_open": {"en": "query reopened", "es": "consulta reabierta"},
    "back_to_form": {"en": "Back to the form", "es": "Volver al formulario"},
    "blank": {"en": "(blank)", "es": "(vacío)"},
    # queries
    "queries_title": {"en": "Queries", "es": "Consultas"},
    "query_n": {"en": "Query {n}", "es": "Consulta {n}"},
    "query_status_open": {"en": "Open", "es": "Abierta"},
    "query_status_answered": {"en": "Answered", "es": "Respondida"},
    "query_status_closed": {"en": "Closed", "es": "Cerrada"},
    "query_status_cancelled": {"en": "Cancelled", "es": "Cancelada"},
    "all_statuses": {"en": "Any status", "es": "Cualquier estado"},
    "no_queries": {"en": "No queries.", "es": "No hay consultas."},
    "opened": {"en": "Opened", "es": "Abierta"},
    "message": {"en": "Message", "es": "Mensaje"},
    "messages": {"en": "Messages", "es": "Mensajes"},
    "query_text": {"en": "Question for the site", "es": "Pregunta para el centro"},
    "query_opened": {"en": "Query opened.", "es": "Consulta abierta."},
    "answer": {"en": "Answer", "es": "Responder"},
    "close_query": {"en": "Close", "es": "Cerrar"},
    "cancel_query": {"en": "Cancel query", "es": "Anular la consulta"},
    "reopen_query": {"en": "Reopen", "es": "Reabrir"},
    "reply": {"en": "Your message", "es": "Su mensaje"},
    "reply_optional_on_close": {
        "en": "Optional when you close the query; needed for any other action.",
        "es": "Opcional al cerrar la consulta; necesario para cualquier otra acción.",
    },
    "query_answered_by_manager": {
        "en": "Your site's data manager answers queries; the monitor then closes them.",
        "es": "Las consultas las responde el gestor de datos de su centro; después el monitor las cierra.",
    },
    "query_done_answer": {"en": "Answer sent.", "es": "Respuesta enviada."},
    "query_done_close": {"en": "Query closed.", "es": "Consulta cerrada."},
    "query_done_cancel": {"en": "Query cancelled.", "es": "Consulta anulada."},
    "query_done_reopen": {"en": "Query reopened.", "es": "Consulta reabierta."},
    "origin_check": {"en": "automatic check", "es": "comprobación automática"},
    "origin_monitor": {"en": "monitor", "es": "monitor"},
    "kind_open": {"en": "opened", "es": "abrió"},
    "kind_answer": {"en": "answered", "es": "respondió"},
    "kind_close": {"en": "closed", "es": "cerró"},
    "kind_cancel": {"en": "cancelled", "es": "anuló"},
    "kind_reopen": {"en": "reopened", "es": "reabrió"},
    "whole_form": {"en": "(whole form)", "es": "(todo el formulario)"},
    "text_required": {"en": "Write a message.", "es": "Escriba un mensaje."},
    # errors
    "error_title_400": {"en": "This request cannot be handled", "es": "No se puede atender esta petición"},
    "error_title_401": {"en": "Please sign in", "es": "Inicie sesión"},
    "error_title_403": {"en": "Not allowed", "es": "No permitido"},
    "error_title_404": {"en": "Not found", "es": "No encontrado"},
    "error_title_409": {"en": "Not possible now", "es": "No es posible ahora"},
    "error_title_412": {"en": "Changed in the meantime", "es": "Modificado mientras tanto"},
    "error_title_422": {"en": "Not accepted", "es": "No aceptado"},
    "error_title_500": {"en": "Something went wrong", "es": "Algo ha fallado"},
    "error_title_503": {"en": "Busy: please try again", "es": "Ocupado: inténtelo de nuevo"},
    "error_text_403": {
        "en": "Your role does not allow this.",
        "es": "Su perfil no permite hacer esto.",
    },
    "error_text_404": {
        "en": "This page does not exist, or it belongs to a patient outside your site.",
        "es": "Esta página no existe, o pertenece a un paciente de fuera de su centro.",
    },
    "draft_found": {
        "en": "What you typed on this page at {time} was not saved.",
        "es": "Lo que escribió en esta página a las {time} no se guardó.",
    },
    "draft_restore": {"en": "Restore it", "es": "Recuperarlo"},
    "draft_discard": {"en": "Discard it", "es": "Descartarlo"},
    "unlock_reason": {"en": "Reason for unlocking", "es": "Motivo del desbloqueo"},
    "unlock_reason_required": {
        "en": "Unlocking needs a reason: write it next to the button.",
        "es": "Para desbloquear hace falta un motivo: escríbalo junto al botón.",
    },
    "unsaved_changes": {
        "en": "This page has changes that are not saved. Go on without them? "
        "(Cancel, then Save, keeps them.)",
        "es": "Esta página tiene cambios sin guardar. ¿Continuar sin ellos? "
        "(Cancelar y luego Guardar los conserva.)",
    },
    "error_text_503": {
        "en": "Another change is being stored (a bulk upload, for example), so nothing was saved.",
        "es": "Se está guardando otro cambio (una carga masiva, por ejemplo), así que no se ha "
        "guardado nada.",
    },
    "resend_text": {
        "en": "What you entered is kept: send it again in a moment.",
        "es": "Lo que ha introducido se conserva: vuelva a enviarlo en un momento.",
    },
    "resend": {"en": "Send again", "es": "Enviar de nuevo"},
    "error_text_other": {
        "en": "The request could not be completed.",
        "es": "No se ha podido completar la petición.",
    },
    "csrf_title": {"en": "This form was not accepted", "es": "No se ha aceptado este formulario"},
    "csrf_text": {
        "en": "The page was out of date or the form did not come from this site, so nothing was done. "
        "Go back, reload the page and try again.",
        "es": "La página estaba caducada o el formulario no procedía de este sitio, así que no se ha hecho "
        "nada. Vuelva atrás, recargue la página e inténtelo de nuevo.",
    },
    "technical_detail": {"en": "Technical detail", "es": "Detalle técnico"},
    "go_home": {"en": "Go to the patient list", "es": "Ir a la lista de pacientes"},
}


def text(key: str, language: str, **params: Any) -> str:
    """The text in `language`; with `n` = 1, its singular form (`<language>_one`) where it has one."""
    entry = TEXTS[key]
    singular = entry.get(f"{language}_one") if params.get("n") == 1 else None
    template = singular or entry.get(language) or entry["en"]
    return template.format(**params) if params else template


def label(labels: dict[str, str] | None, language: str) -> str:
    """A study label in `language`, falling back to English, then to any language it has."""
    return label_in(labels, language)


class Translator:
    """`t("key", n=3)` in templates: the page's words in the reader's language."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, key: str, **params: Any) -> str:
        return text(key, self.language, **params)

    def label(self, labels: dict[str, str] | None) -> str:
        return label(labels, self.language)
