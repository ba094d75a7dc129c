"""Keyword tables and canned phrasing of the router brain (`harness.llm.brain`).

Every pattern is a regex fragment matched as whole words against *folded* text
(`harness.reference._text.fold`: lower case, no accents, punctuation turned into spaces),
so "Facturación", "FACTURACION" and "facturacion" are one word. A pattern counts once per
query, with its weight: 2 for words that name the department on their own ("invoice",
"contraseña"), 1 for words that merely lean towards it ("app", "plan", "pedido").
"""

from __future__ import annotations

__all__ = [
    "ANSWERS",
    "EN_MARKERS",
    "ESCALATE",
    "ES_MARKERS",
    "INJECTION",
    "OVERCHARGE",
    "SPECIALISTS",
    "TOPICS",
    "UNSURE",
]

Weighted = list[tuple[str, int]]

TECHNICAL: Weighted = [
    # English
    (r"errors?", 2),
    (r"crash\w*", 2),
    (r"bugs?", 2),
    (r"broken", 2),
    (r"glitch\w*", 2),
    (r"(?:does|do|did|is|are) ?n ?t (?:work|load|open|sync|start|respond)\w*", 2),
    (r"not (?:working|loading|opening|syncing|responding)", 2),
    (r"won t (?:work|load|open|start)", 2),
    (r"(?:can t|cannot|can not|unable to) (?:open|load|access|connect|upload|download|save|log|sign)\w*", 2),
    (r"log ?in", 2),
    (r"log(?:ged)? (?:me )?out", 2),
    (r"sign(?:ing)? ?in", 2),
    (r"passwords?", 2),
    (r"2fa", 2),
    (r"two factor", 2),
    (r"verification code", 2),
    (r"api", 2),
    (r"sdk", 2),
    (r"webhooks?", 2),
    (r"integrations?", 2),
    (r"sync\w*", 2),
    (r"time[sd]? ?out", 2),
    (r"(?:error )?(?:500|502|503|504|401|403|404)", 2),
    (r"uninstall\w*", 2),
    (r"freez\w*", 2),
    (r"frozen", 2),
    (r"blank (?:screen|page)", 2),
    (r"stack ?trace", 2),
    (r"exceptions?", 2),
    (r"traceback", 2),
    (r"servers?", 2),
    (r"plugins?", 2),
    (r"browser", 2),
    (r"connection", 2),
    (r"ssl", 2),
    (r"certificate", 2),
    (r"export\w*", 1),
    (r"import(?:s|ed|ing)?", 1),
    (r"upload\w*", 1),
    (r"download\w*", 1),
    (r"slow\w*", 1),
    (r"apps?", 1),
    (r"updat\w*", 1),
    (r"settings?", 1),
    (r"configur\w*", 2),
    (r"android", 1),
    (r"iphone", 1),
    (r"ios", 1),
    (r"windows", 1),
    (r"mac ?os", 1),
    (r"notifications?", 1),
    (r"dashboard", 1),
    (r"reports?", 1),
    (r"does nothing|nothing happens", 2),
    (r"(?:empty|corrupt\w*|blank) (?:file|csv|pdf|export)", 2),
    (r"website|web", 1),
    (r"battery|bateria", 1),
    (r"ipad", 1),
    # Spanish
    (r"errores", 2),
    (r"fallos?", 2),
    (r"falla", 2),
    (r"no (?:me )?funciona\w*", 2),
    (r"no (?:me )?(?:deja|carga|abre|arranca|sincroniza|responde)\w*", 2),
    (r"se (?:cuelga|bloquea|cierra)", 2),
    (r"colgad[oa]", 2),
    (r"caid[oa]", 2),
    (r"contrasenas?", 2),
    (r"clave", 2),
    (r"(?:iniciar|inicio de) sesion", 2),
    (r"acceder", 2),
    (r"instal\w*", 2),
    (r"desinstal\w*", 2),
    (r"sincroniz\w*", 2),
    (r"integracion\w*", 2),
    (r"conexion", 2),
    (r"servidor\w*", 2),
    (r"pantalla en blanco", 2),
    (r"no (?:puedo|consigo) (?:abrir|entrar|acceder|iniciar|conectar|guardar|descargar|subir)\w*", 2),
    (r"navegador", 2),
    (r"codigo de verificacion", 2),
    (r"excepcion", 2),
    (r"aplicacion\w*", 1),
    (r"lent(?:[oa]s?|isim[oa]s?|itud)", 1),
    (r"tarda\w*", 1),
    (r"actualiz\w*", 1),
    (r"descarg\w*", 1),
    (r"subir", 1),
    (r"exportar", 1),
    (r"importar", 1),
    (r"movil", 1),
    (r"ajustes", 1),
    (r"notificaciones", 1),
    (r"informes?", 1),
    (r"entrar", 1),
    (r"acceso", 1),
    (r"bloquead[oa]", 1),
    (r"no hace nada", 2),
    (r"verificacion", 1),
    (r"correos? de (?:verificacion|confirmacion|activacion)", 2),
    (r"certificado", 2),
]

BILLING: Weighted = [
    # English
    (r"invoices?", 2),
    (r"invoic(?:ed|ing)", 2),
    (r"billing", 2),
    (r"billed", 2),
    (r"bills?", 2),
    (r"charg\w*", 2),
    (r"overcharg\w*", 2),
    (r"payments?", 2),
    (r"paid", 1),
    (r"pay", 1),
    (r"receipts?", 2),
    (r"vat", 2),
    (r"tax\w*", 1),
    (r"pric\w*", 1),
    (r"plans?", 1),
    (r"subscriptions?", 1),
    (r"upgrad\w*", 1),
    (r"downgrad\w*", 1),
    (r"discounts?", 1),
    (r"coupons?", 2),
    (r"promo codes?", 2),
    (r"credit card", 2),
    (r"debit card", 2),
    (r"cards?", 1),
    (r"direct debit", 2),
    (r"iban", 1),
    (r"renew\w*", 1),
    (r"fees?", 2),
    (r"cost\w*", 1),
    (r"expensive", 1),
    (r"quotes?", 1),
    (r"bank transfer", 2),
    (r"transactions?", 2),
    (r"declined", 2),
    (r"paypal", 2),
    (r"checkout", 1),
    # Spanish
    (r"factura\w*", 2),
    (r"cobr\w*", 2),
    (r"cargos?", 2),
    (r"pagos?", 2),
    (r"pag(?:ar|ue|ado|amos)", 1),
    (r"recibos?", 2),
    (r"iva", 2),
    (r"precios?", 1),
    (r"tarifas?", 1),
    (r"planes", 1),
    (r"suscripcion\w*", 1),
    (r"descuentos?", 1),
    (r"cupon\w*", 2),
    (r"codigo promocional", 2),
    (r"tarjetas?", 1),
    (r"domiciliacion\w*", 2),
    (r"transferencia", 1),
    (r"renov\w*|renueva\w*", 1),
    (r"importe", 2),
    (r"cuotas?", 1),
    (r"car[oa]s?", 1),
    (r"presupuesto", 1),
    (r"mensualidad", 2),
    (r"cuesta\w*|cuanto vale", 1),
    (r"rechazad[oa]", 1),
]

GENERAL: Weighted = [
    # English
    (r"opening hours", 2),
    (r"business hours", 2),
    (r"hours", 1),
    (r"open(?:ing)? on", 1),
    (r"address", 2),
    (r"offices?", 2),
    (r"locations?", 1),
    (r"headquarters", 2),
    (r"shipping", 2),
    (r"ship\w*", 1),
    (r"deliver\w*", 2),
    (r"tracking", 2),
    (r"track", 1),
    (r"orders?", 1),
    (r"parcels?", 2),
    (r"packages?", 1),
    (r"stores?", 1),
    (r"shops?", 1),
    (r"contact", 2),
    (r"phone number", 1),
    (r"holidays?", 1),
    (r"weekends?", 1),
    (r"careers?", 2),
    (r"jobs?", 1),
    (r"company", 1),
    (r"warranty", 2),
    (r"privacy policy", 2),
    (r"terms", 1),
    (r"newsletter", 2),
    (r"languages?", 1),
    (r"partners?", 1),
    (r"question", 1),
    (r"information", 1),
    (r"info", 1),
    (r"(?:hasn t|has not|haven t|have not|never|still not|not yet) (?:arrived|been delivered|shipped)", 2),
    (r"where is my (?:order|parcel|package|delivery)", 2),
    (r"hiring", 2),
    (r"customer service", 1),
    # Spanish
    (r"horarios?", 2),
    (r"abr(?:is|en)", 1),
    (r"abiert[oa]s?", 1),
    (r"direccion", 2),
    (r"oficinas?", 2),
    (r"sede", 2),
    (r"tiendas?", 1),
    (r"envios?", 2),
    (r"envi(?:ar|an|ais)", 1),
    (r"entregas?", 2),
    (r"paquetes?", 1),
    (r"pedidos?", 1),
    (r"seguimiento", 2),
    (r"contacto", 2),
    (r"contactar", 2),
    (r"telefono", 1),
    (r"festivos?", 1),
    (r"fin de semana", 1),
    (r"empleo", 2),
    (r"trabajar con vosotros", 2),
    (r"empresa", 1),
    (r"garantia", 2),
    (r"politica de privacidad", 2),
    (r"boletin", 2),
    (r"idiomas?", 1),
    (r"pregunta", 1),
    (r"informacion", 1),
    (r"consulta", 1),
    (r"donde esta mi (?:pedido|paquete|envio)", 2),
    (r"(?:pedido|paquete|envio)(?: \w+)? no (?:me )?ha llegado", 2),
    (r"no (?:me )?ha(?:n)? llegado (?:el|mi) (?:pedido|paquete)", 2),
    (r"(?:sigue|todavia|aun) sin llegar", 2),
    (r"a que hora", 2),
    (r"duda", 1),
    (r"atencion al cliente", 1),
]

SPECIALISTS: dict[str, Weighted] = {
    "technical_support": TECHNICAL,
    "billing_support": BILLING,
    "general_support": GENERAL,
}

# Threats, legal matters, complaints about staff: any one of these goes to a human.
ESCALATE: list[str] = [
    r"lawyers?",
    r"attorneys?",
    r"legal action",
    r"sue",
    r"suing",
    r"lawsuit",
    r"court",
    r"solicitors?",
    r"small claims",
    r"consumer protection",
    r"ombudsman",
    r"regulator",
    r"report you",
    r"you ll regret",
    r"i know where",
    r"burn",
    r"kill you",
    r"smash",
    r"hurt",
    r"rude",
    r"insult\w*",
    r"unprofessional",
    r"harass\w*",
    r"shout\w*",
    r"yell\w*",
    r"discriminat\w*",
    r"speak to (?:a|your) manager",
    r"formal complaint",
    r"complaint about",
    r"abogad[oa]s?",
    r"demandar\w*",
    r"una demanda",
    r"denunci\w*",
    r"juicio",
    r"tribunal\w*",
    r"juzgado",
    r"ocu",
    r"oficina de consumo",
    r"hoja de reclamaciones",
    r"reclamacion formal",
    r"acciones legales",
    r"via judicial",
    r"os vais a enterar",
    r"me las vais a pagar",
    r"quemar",
    r"amenaz\w*",
    r"grosero",
    r"grosera",
    r"maleducad[oa]",
    r"(?:muy|fue|es|era) borde",
    r"falta de respeto",
    r"me colgo",
    r"hablar con (?:un|el|la) (?:responsable|encargad[oa]|gerente)",
    r"discrimin\w*",
]

# Attempts to steer the model itself: a careful supervisor hands these to a human.
INJECTION: list[str] = [
    r"ignore (?:all |any |the |your |my )?(?:previous |prior |above |earlier )?instructions",
    r"disregard",
    r"system prompt",
    r"your (?:instructions|prompt|rules)",
    r"developer mode",
    r"jailbreak",
    r"you are now",
    r"act as",
    r"pretend",
    r"100 (?:discount|off)",
    r"free forever",
    r"ignora\w* (?:todas )?(?:las |tus )?instrucciones",
    r"olvida\w* (?:todas )?(?:las |tus )?instrucciones",
    r"instrucciones (?:anteriores|previas)",
    r"prompt (?:del|de) sistema",
    r"modo desarrollador",
    r"actua como",
    r"ahora eres",
    r"descuento del 100",
    r"100 de descuento",
    r"gratis para siempre",
    r"reveal",
    r"revela\w*",
    r"admin mode",
    r"modo administrador",
]

# "The customer was clearly overcharged": the only case for a goodwill offer.
OVERCHARGE: list[str] = [
    r"overcharg\w*",
    r"charged (?:me )?twice",
    r"double charg\w*",
    r"charged (?:me )?two times",
    r"duplicate charge",
    r"charged (?:me )?more",
    r"cobrado dos veces",
    r"cobro duplicado",
    r"doble cobro",
    r"cobrado de mas",
    r"cobrais de mas",
    r"cobrado (?:el )?doble",
    r"cargo duplicado",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Folded words that mark a query as Spanish or English.
ES_MARKERS = _words(
    "el la los las de del que mi mis por para con una uno es esta estoy tengo hola gracias pero como "
    "cuando donde porque se me os vuestro vuestra vuestros su sus puedo quiero necesito hay ya muy y al "
    "lo le buenos buenas dias tardes hace desde sigue nada ni ayer hoy"
)
EN_MARKERS = _words(
    "the my i is are to and you your it of for with can how what why when where this that have has "
    "was do does not please hi hello thanks in on at be since still yesterday today there"
)

# Topics choose the canned answer; the first topic whose pattern matches wins.
TOPICS: dict[str, list[tuple[str, str]]] = {
    "technical_support": [
        ("login", r"log ?in|sign ?in|passwords?|2fa|two factor|contrasenas?|clave|sesion|acceder|verific\w*"),
        ("slow", r"slow\w*|lent[oa]s?|tarda\w*|timeout|time[sd]? out"),
        ("integration", r"api|sdk|webhooks?|integrat\w*|integracion\w*|plugins?|sync\w*|sincroniz\w*"),
        ("install", r"install\w*|instal\w*|updat\w*|actualiz\w*"),
    ],
    "billing_support": [
        ("overcharge", "|".join(OVERCHARGE)),
        ("invoice", r"invoic\w*|factura\w*|receipts?|recibos?|vat|iva"),
        ("payment", r"payments?|pay|card|tarjetas?|pagos?|pagar|domiciliacion|direct debit|iban"),
        ("plan", r"plans?|planes|pric\w*|precios?|tarifas?|subscriptions?|suscripcion|upgrad\w*"),
    ],
    "general_support": [
        ("hours", r"hours|horarios?|open\w*|abr\w+|abiert[oa]s?|festivos?|holidays?|weekends?"),
        (
            "shipping",
            r"ship\w*|deliver\w*|track\w*|parcels?|envios?|entregas?|paquetes?|seguimiento|pedidos?",
        ),
        ("contact", r"address|offices?|contact\w*|phone number|direccion|oficinas?|telefono|sede"),
    ],
}

# Canned answers per (agent, topic, language). "" is the topic-less answer, "unsure" the one
# given when the evidence is weak (the confidence is low then, so a human follows up).
ANSWERS: dict[tuple[str, str], dict[str, str]] = {
    ("technical_support", "login"): {
        "en": "Please reset your password from the 'Forgot password' link on the sign-in page, then "
        "clear your browser cache and try again. If you use two-factor authentication, check that your "
        "phone's clock is set automatically; codes expire after 30 seconds.",
        "es": "Restablece tu contraseña desde el enlace '¿Olvidaste tu contraseña?' de la página de "
        "acceso y borra la caché del navegador antes de volver a intentarlo. Si usas verificación en "
        "dos pasos, comprueba que la hora del móvil se ajusta automáticamente.",
    },
    ("technical_support", "slow"): {
        "en": "Slowness is usually caused by a large local cache or an old version. Update the app to "
        "the latest release, restart it, and check our status page for incidents in your region.",
        "es": "La lentitud suele deberse a una caché local muy grande o a una versión antigua. "
        "Actualiza la aplicación, reiníciala y consulta nuestra página de estado por si hay incidencias.",
    },
    ("technical_support", "integration"): {
        "en": "Check that your API key is still active under Settings > Developers and that the "
        "webhook URL answers with HTTP 200 within 10 seconds; failed deliveries are retried for 24 hours.",
        "es": "Comprueba que tu clave de API sigue activa en Ajustes > Desarrolladores y que la URL "
        "del webhook responde con HTTP 200 en menos de 10 segundos; los envíos fallidos se reintentan "
        "durante 24 horas.",
    },
    ("technical_support", "install"): {
        "en": "Uninstall the current version, restart the device and install the latest release from "
        "the official store. Your data is kept in your account, so nothing is lost.",
        "es": "Desinstala la versión actual, reinicia el dispositivo e instala la última versión desde "
        "la tienda oficial. Tus datos se guardan en tu cuenta, así que no perderás nada.",
    },
    ("technical_support", ""): {
        "en": "Sorry about the trouble. Please update to the latest version and restart the app; if the "
        "error persists, send us the exact message and the time it happened so we can check our logs.",
        "es": "Sentimos las molestias. Actualiza a la última versión y reinicia la aplicación; si el "
        "error continúa, envíanos el mensaje exacto y la hora en que ocurrió para revisar los registros.",
    },
    ("billing_support", "overcharge"): {
        "en": "I can see why that looks wrong. A duplicate charge is usually a pending authorisation "
        "that disappears within 5 business days; if both charges settle, we reverse the extra one.",
        "es": "Entiendo que parezca un error. Un cobro duplicado suele ser una autorización pendiente "
        "que desaparece en 5 días hábiles; si se confirman los dos, anulamos el cargo de más.",
    },
    ("billing_support", "invoice"): {
        "en": "All your invoices are under Account > Billing > Invoices, where you can download them as "
        "PDF and edit the company name, address and VAT number for future invoices.",
        "es": "Todas tus facturas están en Cuenta > Facturación > Facturas, donde puedes descargarlas "
        "en PDF y cambiar el nombre fiscal, la dirección y el NIF de las próximas facturas.",
    },
    ("billing_support", "payment"): {
        "en": "You can update your payment method under Account > Billing > Payment method. The new "
        "card or account is used from the next billing date.",
        "es": "Puedes cambiar tu método de pago en Cuenta > Facturación > Método de pago. La nueva "
        "tarjeta o cuenta se usará a partir de la próxima fecha de cobro.",
    },
    ("billing_support", "plan"): {
        "en": "Plans can be changed at any time under Account > Plan. Upgrades apply immediately and are "
        "prorated; downgrades take effect at the next renewal.",
        "es": "Puedes cambiar de plan cuando quieras en Cuenta > Plan. Las mejoras se aplican al momento "
        "y se prorratean; las bajadas de plan se aplican en la siguiente renovación.",
    },
    ("billing_support", ""): {
        "en": "Thanks for reaching out about your account charges. You will find every charge with its "
        "date and concept under Account > Billing.",
        "es": "Gracias por escribirnos sobre los cargos de tu cuenta. En Cuenta > Facturación verás cada "
        "cargo con su fecha y concepto.",
    },
    ("general_support", "hours"): {
        "en": "Our support team is available Monday to Friday from 9:00 to 18:00 (CET), except public "
        "holidays. The help centre is open around the clock.",
        "es": "Nuestro equipo de atención está disponible de lunes a viernes de 9:00 a 18:00 (hora "
        "peninsular), salvo festivos. El centro de ayuda está abierto las 24 horas.",
    },
    ("general_support", "shipping"): {
        "en": "Orders ship within 24 hours on working days and usually arrive in 2 to 4 days. You will "
        "receive a tracking link by e-mail as soon as the parcel leaves our warehouse.",
        "es": "Los pedidos salen en 24 horas laborables y suelen llegar en 2 a 4 días. Recibirás un "
        "enlace de seguimiento por correo en cuanto el paquete salga del almacén.",
    },
    ("general_support", "contact"): {
        "en": "You can reach us through the contact form in the help centre or by chat from your "
        "account. Our head office address is listed on the 'About us' page.",
        "es": "Puedes contactarnos con el formulario del centro de ayuda o por chat desde tu cuenta. La "
        "dirección de nuestra sede aparece en la página 'Quiénes somos'.",
    },
    ("general_support", ""): {
        "en": "Thanks for your question. You will find most answers in our help centre, and our team "
        "is happy to help with anything else.",
        "es": "Gracias por tu consulta. En nuestro centro de ayuda encontrarás la mayoría de las "
        "respuestas, y nuestro equipo te ayudará con cualquier otra cosa.",
    },
}

UNSURE: dict[str, str] = {
    "en": "I am not completely sure I understood your request. Could you give a few more details? "
    "Meanwhile, our help centre may already have the answer.",
    "es": "No estoy del todo seguro de haber entendido tu consulta. ¿Podrías darnos algún detalle "
    "más? Mientras tanto, quizá el centro de ayuda ya tenga la respuesta.",
}
