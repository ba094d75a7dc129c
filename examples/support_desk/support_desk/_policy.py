"""Escalation rules, input limits, and model routing: the system's written policy as code.

Escalate to a human when (first match wins, and the reason is recorded):
1. the customer is VIP                                   -> `vip_customer`
2. the customer wants to leave or wants money back       -> `cancellation_or_refund`
   (English or Spanish, any case, with or without accents, common misspellings; the policy
   on what counts is written above `_TRIGGER` below)
3. the supervisor says so                                -> `supervisor_decision`
4. the supervisor's reply names no single route          -> `unrecognised_route`
5. a specialist's confidence is below the threshold      -> `low_confidence`
6. no agent could answer and no fallback answer exists   -> `agent_unavailable`
7. the request's deadline passed                         -> `deadline_exceeded`

Model routing: the supervisor uses the cheap model; the technical agent always uses the strong one;
billing and general use the cheap model unless the query is *complex*: at least
`models.complex_min_words` words, two or more questions, or a code block / stack trace.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise

from harness import InputValidationError
from harness.text import fold

from ._settings import Settings
from ._state import EscalationReason, Route

__all__ = ["escalation_by_rule", "is_complex", "model_for", "sanitise_query"]

# Rule 2, on folded text (lower case, no accents, punctuation as spaces). The policy, decided on a
# held-out set of everyday queries (suites/unit/data/escalation_heldout*.jsonl), not on the scenarios:
# - Escalate when the customer wants to close, cancel or leave the account, subscription, plan,
#   contract or service ("shut down my account", "I want out of my contract"), or wants money back
#   (refund, reimbursement, chargeback, charge reversal, "my last payment back", "devolución del
#   importe / del cobro", "que me devuelvan la plata / lo que pagué").
#   Leaving in other words escalates too ("I want out", "we no longer need your service", "how do I
#   stop paying for this", "me quiero salir del plan", "quiero bajarme del plan" but not "bajar del
#   plan Pro al Básico", "no pienso pagar ni un mes más"), and so do: not wanting or needing the
#   thing any more ("won't need the insurance after June, how do I end it"), a formal notice ("notice
#   of non-renewal", "no renovaremos", "la resolución del contrato"), ending a paid tier by name ("end
#   premium", "downgrade me to nothing"), a publication one subscribes to ("dejar el periódico"),
#   someone else's account ("my late father's account"), stopping money going out ("stop taking
#   money out of my account", "dejen de sacarme plata", "stop the direct debit"), and undoing a named
#   charge by pronoun ("charged me for a renewal I never authorised. Reverse it", "anuladla",
#   "¿me pueden devolver eso?", "la quiero de vuelta", "¿me devuelven algo?"), and goods sent back
#   with the money not come ("I returned the headphones, where is my money?"). A cooling-off period
#   ("desistimiento", "desistir del contrato") is a policy question.
# - So do: no longer wanting to be a customer ("I don't want to be a customer anymore", "dejar de
#   ser cliente", "ya no quiero ser socio"), moving to another provider ("portarme a otro operador"),
#   leaving "this" ("cómo me borro de esto"), deleting everything, a recurring donation ended, and
#   the kind of account in the customer's own words after a verb that ends it for good ("terminate
#   the coworking hot desk agreement", "shut off the water service", "close mine").
# - A question about the refund or cancellation *policy* escalates too ("can I leave whenever I
#   want?", "¿hay permanencia?", "am I locked in for 12 months?", "¿cuánto tengo que avisar?",
#   "break my lease", "a fee if I leave the contract early?"): a rule cannot tell curiosity from
#   intent, and a missed cancellation costs more than a minute of a human's time.
# - Cancelling something else (an order, an item, a meeting, an appointment, a booking, a transfer,
#   a print job, a download, a newsletter, a visit, a product in a shop's catalogue; by pronoun, the
#   thing named in the clause before: "cita con el veterinario, ¿la puedo cancelar?") is not closing
#   the account, and returning goods ("devolver el producto", "hacer una devolución") is not asking
#   for money; both go to an agent.
# - Software that aborts ("la app se cancela al pagar", "the upload keeps cancelling") and cancelling
#   a scheduled report or an export are technical too, and so are trigger words in code or in a quoted
#   UI text ("`sub.cancel()` throws a 401", "the 'are you sure you want to cancel?' popup") and code
#   that "devuelve error 500".
# - A trigger word naming a UI control ("the cancel button doesn't work") is a technical report; a
#   wish stated negatively ("don't cancel my account", "instead of cancelling") and a refund already
#   received ("I got my refund, thanks", "ya se reflejó"), or not asked for ("I'm not asking for a
#   refund"), or an ending only considered ("I was going to close my account but..."), asks for
#   nothing. A merchant refunding their own customers is using a tool: technical; so is a refund near
#   the merchant's own customers, players or staff ("the refund status of orders my customers sent
#   back", "my employees get reimbursed through your module") or set up as a feature ("enable
#   partial refunds").
# - Also asks for nothing: an ending stated negatively with any ending verb ("I am NOT closing my
#   account", "¡no me cierren la cuenta!"), money already back ("already got the money back", "ya me
#   lo devolvieron", "the reimbursement is showing"), a payment status the app shows ("payment
#   cancelled"), and a licence deactivated on one device to move it to another; cancelling a
#   callback or a delivery ("el reparto del periódico esas dos semanas") is cancelling something else.
# - Asks for nothing too: thanks for a refund ("Thanks for the refund yesterday!"), an ending done
#   before by someone coming back ("I cancelled my account last year and want to sign up again"), an
#   ending or a refund once thought of ("pensé en cancelar", "estuve a punto de pedir el reembolso"),
#   a scheduled payment to someone else ("cancel a scheduled payment to my landlord"), and "baja" as
#   leave from work ("estoy de baja médica").
_TRIGGER = r"(?:cancel\w*|refund\w*|re?embols\w*|unsubscribe\w*|baja|devolucion\w*)"
# People a merchant refunds, who are not the customer: "my customers", "a customer of my store".
_REFUND_WORD = r"(?:refund\w*|re?embols\w*|reimburs\w*|charge ?backs?|contracargos?|devolucion\w*)"
_THEIR_PEOPLE = (
    r"(?:(?:my|our|mis|nuestros|nuestras) (?:own )?(?:customers|clients|clientes|buyers|compradores|shoppers"
    r"|players|jugadores|employees|empleados|staff|students|alumnos)"
    r"|(?:customers?|clients?|buyers?|clientes?|compradores?) (?:of|de) (?:my|our|mi|nuestra) \w+)"
)
# A few words that do not bring the customer in: not "refund us because my customers ...".
_NEAR = r"(?!(?:i|we|me|us|nos|because|since|so|porque|please|want|need|quiero|queremos)\b)\w+ "
# An ending done before, and coming back: "I cancelled ... and want to sign up again".
_ENDED = r"(?:cancelled|canceled|closed|deleted|ended|left|quit|terminated|unsubscribed)"
_REJOIN = (
    r"(?:sign (?:up|back up) again|signing up again|rejoin\w*|re join|resubscrib\w*|re subscribe|reactivat\w*"
    r"|reopen\w*)"
)
# Money, as customers name it ("$29" folds to "29").
_MONEY = (
    r"(?:money|payments?|charges?|fees?|cash|funds|euros?|dollars?|pesos?|bucks|pounds|quid|amount"
    r"|difference|deposits?|cents?|penny|pennies|dime|\d+)"
)
_DINERO = (
    r"(?:dinero|plata|lana|pasta|guita|importe|cobr\w*|cargos?|pagos?|pagad\w*|cuotas?|mensualidad\w*"
    r"|euros|pesos|dolares|depositos?|fianza|centavos?|centimos?|\d+)"
)
_NOT_A_REQUEST = [
    r"(?:don t|dont|do not|no quiero|no queremos|instead of|rather than|en vez de|en lugar de)"
    r" (?:want to |need to |want (?:a |an |my |the )?|(?:un |el |la |darme de |dar de ))?" + _TRIGGER,
    _TRIGGER + r" (?:button|buttons|key|boton|botones|tecla)",  # a UI control: technical
    r"(?:boton|botones|tecla) (?:de |para )?" + _TRIGGER,
    r"(?<!no )(?<!no he )(?<!t )(?<!never )(?<!yet )(?:got|received|recibi|recibido|recibimos)"
    r" (?:my |the |our |el |mi |su )?" + _TRIGGER,  # already has it
    r"(?:hacer|hago|haga|hacemos) una devolucion",  # returning goods
    # software that aborts: "la app se cancela al pagar", "the upload keeps cancelling"
    r"(?:app|aplicacion|programa|sistema|pantalla|proceso|instalacion|descarga|actualizacion|carga"
    r"|subida|video|pago) se cancel\w*",
    r"se cancel\w* (?:al|cuando|sola|solo|de repente|cada vez)",
    r"(?:keeps|kept|keep) cancel\w*|cancel\w* (?:itself|by itself|on its own)",
    r"se (?:me |nos |le )?cancel\w*|cancel\w* by (?:the )?(?:user|system|server|client|api|host|os)"
    r"|(?:requests?|calls?|jobs?|tasks?|queries|query) (?:was|were|got|is|gets|been|keeps getting) cancel\w*"
    r"|(?:installation|operation|download|upload|operacion|instalacion|descarga) (?:was )?cancel\w*",
    # asks for nothing: "I'm not asking for a refund", "no me den de baja"
    r"(?:not asking for|not looking for|not requesting|not after|no pido|no estoy pidiendo|no necesito)"
    r" (?:a |an |any |un |el |la |ningun )?" + _TRIGGER,
    r"(?:not looking to|not trying to|not planning to|not going to|no way (?:i m|im|i am|we re|were)"
    r"|ni loc[oa]|no es para|no pienso|no voy a|no vamos a) (?:\w+ ){0,2}?" + _TRIGGER,
    # a control pressed: "when I hit Cancel on the edit screen", "le doy a cancelar y no pasa nada"
    r"(?:hit|hitting|click\w*|press\w*|tap\w*|pulso|pulse|presiono|toco|le doy a|le di a|clic en|click en)"
    r" (?:on )?(?:the |el |en )?" + _TRIGGER,
    # someone else cancelled on the customer: "my trainer cancelled on me", "me canceló dos veces"
    r"cancel\w* on (?:me|us)|(?:me|nos) cancel(?:o|aron|an)",
    # cancelling a request one made: "cancel the SIM swap request", "cancelen la solicitud de portabilidad"
    r"cancel\w* (?:the|my|that|this|our|la|mi|esa|esta|nuestra) (?:\w+ ){0,3}(?:requests?|solicitud\w*)",
    # a refund described, not asked for: "the refund was the right amount", "el reembolso que recibí"
    _TRIGGER + r" (?:was|fue|is|es) (?:the |el )?(?:right|correct|correcto|correcta|fine|ok|okay|bien)",
    _TRIGGER + r" que (?:recibi|recibimos|me llego|nos llego|me hicieron|me dieron)",
    r"no (?:me |nos |la |lo )?(?:den|des|de|da|dan|dar|darme) de baja",
    # a merchant refunding their own customers is using a tool, not asking for money: "refund a buyer",
    # "money back to a customer", "give a customer their money back", "le devuelvo el dinero a un cliente"
    rf"(?:{_TRIGGER}|money back to)"
    r" (?:to )?(?:one of |uno de |a )?(?:a |my |our |the |mis |nuestros |los |un |una )?(?:own )?"
    r"(?:customers?|clients?|clientes?|buyers?|comprador(?:es)?|shoppers?|students?|alumnos?|players?"
    r"|jugador(?:es)?)",
    r"(?:give|pay|send) (?:a |the |my |our |one of my )?(?:customers?|clients?|buyers?|shoppers?)"
    r" (?:their |his |her |the )?money back",
    rf"(?:{_TRIGGER}|(?:devuelv|devolv|reintegr|regres)\w*(?: (?:\w+ )?{_DINERO})?) (?:a|para|al|a los|a las)"
    r" (?:mis |nuestros |los |un |una )?(?:clientes?|comprador(?:es)?)",
    # ... or their customers' refunds near it: "the refund status of orders my customers sent back",
    # "a customer of my store opened a chargeback", "my employees get reimbursed through your module"
    rf"{_REFUND_WORD} (?:(?!(?:for|para)\b){_NEAR}){{0,4}}?{_THEIR_PEOPLE}"
    rf"|{_THEIR_PEOPLE} (?:{_NEAR}){{0,4}}?{_REFUND_WORD}",
    # refunds as a feature one sets up: "enable partial refunds", "configurar el reembolso automático"
    r"(?:enabl\w*|set (?:up|upping)|setting up|configur\w*|turn on|activat\w*|habilit\w*) (?:\w+ ){0,2}?"
    + _REFUND_WORD,
    # thanks for a refund: "Thanks for the refund yesterday!", "gracias por el reembolso"
    r"(?:thanks|thank you|thx|gracias) (?:so much |a lot |again |mil |de nuevo )?(?:for|por)"
    r" (?:the |my |your |el |la |mi |su )?(?:quick |fast |speedy |rapido |rapida )?" + _TRIGGER,
    # an ending done before, coming back: "I cancelled my account last year and want to sign up again"
    rf"(?:i|we) {_ENDED} (?:\w+ ){{0,8}}?{_REJOIN}|{_REJOIN} (?:\w+ ){{0,8}}?(?:i|we) {_ENDED}",
    # a payment the customer scheduled to someone: "cancel a scheduled payment to my landlord"
    r"cancel\w* (?:a |the |my |that |this |el |la |mi |un |una )?(?:scheduled |future |upcoming |planned )?"
    r"(?:payments?|transfers?|pagos?|transferencias?) (?:programad\w* )?(?:to|a|para)"
    r" (?:my|a|the|mi|un|una|el|la)\b",
    # software that returns an error: "pedido.cancelar() devuelve error 500", "me devuelve un error"
    r"(?:devuelve|devuelven|devolvia|retorna|regresa) (?:un |una |el |la )?(?:error|codigo|status|estado|null"
    r"|nulo|vacio|excepcion|resultado|respuesta|http|json)",
    # "baja" as leave from work: "estoy de baja médica", "la baja por maternidad"
    r"baja (?:medica|laboral|por (?:maternidad|paternidad|enfermedad|accidente)"
    r"|de (?:maternidad|paternidad))",
    # a refund that has arrived: "my refund of $35 arrived", "ya me llegó el reembolso", "ya se reflejó"
    _TRIGGER + r" (?:(?!not|t|never|yet|still)\w+ ){0,4}(?:arrived|came through|came in|went through"
    r"|showed up|posted|landed|cleared|hit|reached)",
    r"(?:ya )?(?:tengo|tenemos|recibi|recibimos) (?:el |mi |la )?" + _TRIGGER,
    r"(?<!no )(?<!no me )(?<!no nos )(?:ya )?(?:me |nos )?(?:llego|llegaron|entro|cayo) (?:el |mi |la |los )?"
    + _TRIGGER,
    _TRIGGER + r" (?:ya )?(?:se )?(?:reflejo|acredito|aplico|llego|entro)",
    r"(?:reimburs\w*|" + _TRIGGER + r") (?:(?!(?:not|t|never|yet|still)\b)\w+ ){0,4}(?:showing|shows"
    r"|showed|appeared|appears)",
    # money back already: "I've already got the money back", "ya me devolvieron la plata"
    r"(?<!not )(?<!never )(?<!t )(?:already )?(?:got|gotten|received) (?:my |the |our |all my |all the )?"
    r"(?:money|payment|cash|funds) back",
    r"(?<!no )(?<!nunca )(?:ya )?(?:me|nos) (?:lo |la |los |las )?(?:devolvieron|regresaron"
    r"|reintegraron|reembolsaron|abonaron"
    r"|acreditaron|devolvio|reintegro)\b",
    r"(?<!no )(?<!nunca )(?:me|nos) (?:hicieron|hizo|dieron|dio) (?:el |un |la |dos )?" + _TRIGGER,
    # an ending stated negatively: "I am NOT closing my account", "no me cierren la cuenta"
    r"(?:i m|im|i am|we re|we are|am|are) not (?:\w+ )?(?:closing|cancel\w*|leaving|deleting"
    r"|terminating|ending)"
    r"|(?:don t|dont|do not|never) (?:want to |wanna |need to )?(?:close|delete|terminate|end"
    r"|deactivate|remove)",
    r"no (?:quiero|queremos|deseo|pienso|voy a|vamos a) (?:\w+ )?(?:cerrar|borrar|eliminar|terminar|finalizar"
    r"|cancelar|desactivar)|no (?:me |nos |le )?(?:cierren|cierres|cierre|borren|eliminen|desactiven"
    r"|cancelen)",
    # a payment status shown by the app: "payment cancelled", "pago cancelado"
    r"(?:payments?|pagos?|transactions?|transaccion\w*|purchases?|compras?|checkout) (?:was |is |got "
    r"|fue |ha sido )?"
    r"(?:cancelled|canceled|cancelado|cancelada)",
    # a licence moved between devices: "deactivate the licence on my old laptop"
    r"(?:deactivat\w*|desactiv\w*|unlink\w*|desvincul\w*|release|liberar) (?:the |my |a |la |el |mi |una )?"
    r"(?:licen[cs]es?|licencias?|seats?|activations?) (?:on|from|in|of|en|de"
    r"|del) (?:\w+ ){0,2}(?:laptop|computer"
    r"|pc|device|mac|machine|tablet|ordenador|computadora|portatil|laptop|dispositivo|equipo|maquina)",
    # a UI control named with a verb: "el botón de 'emitir reembolso'"
    r"(?:boton|botones|button|opcion|option|enlace|link) (?:de |para |to )?\w+ " + _TRIGGER,
]
# Wants money back: escalates wherever it appears.
_MONEY_BACK = [
    r"refund\w*",  # refund, refunds, refunded, refunding
    r"reimburs\w*",
    r"money back|(?:pay|paid) (?:me|us) back|(?:want|return|give back) (?:my|the|our) money",
    r"(?:money|payments?|charges?|fees?) (?:be |to be |get )?(?:returned|refunded|reversed|credited back)",
    r"abon(?:adme|enme|arme|ame|adnos|ennos|arnos)",
    r"charge ?backs?",
    r"(?:reverse|revert|undo|reversal of|cancel\w*|disput\w*) (?:\w+ ){0,3}(?:charge|payment|transaction)s?",
    r"(?:want|need|get|have) (?:it|this|that|them|the \w+) (?:reversed|credited back|returned|refunded)",
    r"credit\w* (?:(?:it|them|that|this|me|us|the \w+|my \w+) )?back"
    r"|credit (?:my|our) (?:account|card)(?! (?:number|details|info))",
    r"(?:charge|payment|transaction) reversal",
    r"re?embols\w*",  # reembolso, reembolsar, reembolsen, rembolso
    r"reintegros?",
    # devolución / devolver / devuélvanme ... + the money: dinero, plata, importe, cobro, cargo, pago
    r"(?:devolucion\w*|devuelv\w*|devolv\w*|devolver\w*|regres\w*|reintegr\w*|reviert\w*|revert\w*|revers\w*"
    r"|reembols\w*|abon\w* de nuevo) (?:\w+ ){0,3}?" + _DINERO,
    # "que me lo reviertan", "que me abonen el cargo", "que me reintegren"
    r"(?:me|nos|lo|la|los|las) (?:reviert\w*|revert\w*|reintegr\w*|acrediten|abonen)",
    r"devolucion(?:es)?(?! de\b| del\b)",  # "quiero la devolución" with no goods named
    _DINERO + r" de vuelta|(?:quiero|exijo|recuperar) (?:mi|el|nuestro) dinero",
    # "my last payment back", "give me back what I paid", "que me devuelvan lo que pagué"
    r"(?:want|wants|get|have|need|like|give me|give us|send|return|put) (?:my|the|our|it|this|that"
    r"|those|these|(?:one|some|part|any|all) of (?:the|those|these|my|our|them|it))"
    r" (?:\w+ ){0,2}" + _MONEY + r" back",
    r"(?:give|pay|send) (?:me|us) back (?:\w+ ){0,3}" + _MONEY + r"|get back (?:\w+ ){0,2}" + _MONEY,
    r"(?:return|refund|reverse|give back) (?:my|our|the|that|this|those|these|one of the|one of my|both"
    r"|all the|the extra)"
    r" (?:\w+ ){0,2}" + _MONEY,
    r"back what (?:i|we) (?:paid|spent)|(?:refund|return|give back) what (?:i|we) (?:paid|spent)",
    r"(?:devuelv\w*|devolv\w*|reintegr\w*) (?:\w+ ){0,2}lo (?:que (?:\w+ )?)?"
    r"(?:pague|pagamos|pagado|pagada|cobra\w*)",
    r"anul\w* (?:\w+ ){0,2}(?:cargos?|cobros?)",
    # every cent: "I want every cent back" (determiners the pattern above does not take)
    r"(?:want|get|need) (?:every|each|all|all my|all the|all of my) (?:\w+ ){0,1}" + _MONEY + r" back",
    # back onto the card: "put one of them back on my card"
    r"(?:put|pay|give|credit|transfer|return)\w* (?:(?:it|them|that|this|one|one of them|those"
    r"|the \w+) )?back"
    r" (?:on|onto|to|into) (?:my|our|the) (?:\w+ )?(?:card|bank|balance|wallet)",
    # a charge named, then undone by pronoun: "charged 89.99 ... Reverse it", "me cobraron ... Anuladla",
    # "me cobraron la publicación, ¿me pueden devolver eso?", "que me devuelvan lo de esas semanas"
    r"(?:charg|billed|debit|cobr|carg|pag)\w*(?: \w+){0,15}? (?:(?:reverse|undo|revert|void) (?:it|that"
    r"|this|them)"
    r"|(?:put|give|pay|credit) (?:it|them|that|one of them|one) back"
    r"|(?:anul|revert|reviert|deshac|cancel)\w*(?:ad|en|a|e|ar)(?:lo|la|los|las)"
    r"|(?:me |nos )(?:lo|la|los|las) (?:devuelv|devolv|reintegr|regres|reembols|abon)\w*"
    r"|(?:lo|la|los|las) (?:anul|deshag|deshac)\w*"
    r"|(?:lo|la|los|las) (?:quiero|queremos|necesito) de vuelta|(?:want|need) (?:it|them|that) back"
    r"|(?:me|nos) (?:devuelven|devuelvan|devolverian|devolveran|reintegran|reembolsan)"
    r" (?:algo|una parte|parte)"
    r"|(?:devuelv|devolv|reintegr|regres)\w*(?:me|nos)(?:lo|la|los|las)"
    r"|(?:devuelv|devolv|reintegr|regres)\w* (?:eso|esto|aquello|lo de (?:\w+ ){0,3}?(?:semanas?|meses"
    r"|mes|dias?"
    r"|periodo|ano)))\b",
    r"(?:reverse|undo|revert) (?:it|that|this|them)",
    # Spain's vosotros and subjunctive forms: "exijo que me abonéis ese importe"
    r"(?:me|nos) (?:abon|acredit)(?:en|eis|es|ad|ar|ara|aran)\b",
    # goods sent back and the money not come: "I returned the headphones ... where is my money?"
    r"(?:(?:i|we) (?:ve |have |had )?(?:returned|sent back|shipped back|mailed back)|devolvi|devolvimos)"
    r" (?:\w+ ){0,12}?(?:where s|where is|wheres|still waiting for|still no|haven t (?:got|gotten|received"
    r"|seen)|no sign of|donde esta|sigo esperando) (?:\w+ ){0,2}?(?:" + _MONEY + "|" + _DINERO + ")",
    # gets the money back some other way: "¿cómo recupero mi dinero?", "recover what I paid"
    r"recuper\w* (?:\w+ ){0,2}?" + _DINERO + r"|(?:recover|recoup|claw back) (?:\w+ ){0,2}" + _MONEY,
]
# Closes the account: an ending verb, at most four filler words, then the thing the customer has.
_ENDING = (
    r"(?:cancel\w*|close|closing|delete|deleting|terminat\w*|deactivat\w*|end|ending|stop|quit|leave"
    r"|shut down|shutting down|shut off|shutting off|get out of|want out of|wants out of|get rid of|wrap up"
    r"|remove|wipe|erase|desuscrib\w*|desinscrib\w*|desafili\w*|desapunt\w*"
    r"|dar por (?:terminad|finalizad|concluid|rescindid)[oa]|suprim\w*|discontinu\w*|exit|exiting|finaliz\w*"
    r"|terminacion|rescision"
    r"|quit\w*|salir(?:me|nos)? del?|me salgo del?|me voy del?|irme del?|irnos del?"
    r"|unsubscribe\w*|cerr\w*|cierr\w*|elimin\w*|borr(?:ar|en|a|e|ad)|anul\w*|rescind\w*|termin(?:ar|en|e)"
    r"|desactiv\w*|de baja|la baja|baja de|baja del"
    # backs out: "walk away from the policy", "echarme atrás del seguro"
    r"|walk away from|back out of|pull out of|echar(?:me|nos|se)? atras|me echo atras|nos echamos atras)"
)
_FILLER = (
    r"(?:my|the|our|this|that|your|these|all|whole|entire|current|premium|pro|paid|annual|monthly"
    r"|yearly|family|business|team|from|of|with|mi|mis|la|el|los|las|de|del|su|sus|tu|nuestra|nuestro"
    r"|enterprise|company|corporate|personal|work|old|free|trial|basic|standard|plus|and|seats?|itself"
    r"|seller|shop|store|mobile|phone|cell|home|car|gym|digital|online|dating|y|del|late|deceased"
    # a possessive: "my late father's account" (folded "father s"), not "it's", "that's"
    r"|(?!(?:it|that|there|what|here|let|he|she|who|where|how)\b)\w+ s"
    r"|esta|este|toda|todo|anual|mensual|completa|premium|\d+)"
)
_ACCOUNT = (
    r"(?:accounts?|acct|subscriptions?|plans?|memberships?|contracts?|agreements?|licen[cs]es?|service"
    r"|profile|cuentas?|suscripcion\w*|planes|plan|contratos?|servicios?|membresias?|lineas?|abono"
    r"|acuerdo|licencias?|perfil|streaming|insurance|policy|broadband|internet|fibra|movil|seguro|poliza"
    r"|leases?|leasing"
    # a publication one subscribes to: "cancel the newspaper", "dejar el periódico digital"
    r"|newspaper|magazine|periodico|revista)"
    # "account settings", "profile picture": a part of the account, not the account
    r"(?! (?:(?:al|a|a la|a los|a las|de|del|de los|de las|to|to the|for|for the|on) )?(?:picture|photo|pic"
    r"|settings|page|name|details|info|information|password|email|emails|number|statement|balance|foto"
    r"|configuracion|contrasena|datos|newsletter|boletin\w*|correos?|ofertas|notificacion\w*|alerts?"
    r"|alertas|sms|promo\w*|marketing|delivery|deliveries|reparto|entregas?|address|direccion))"
)
# Cancel / unsubscribe / "la baja" on its own means the account, unless the same clause names
# something else one cancels, or is about software (`_OTHER_THINGS`).
_BARE_CLOSING = [r"cancel\w*", r"unsubscribe\w*", r"desuscrib\w*", r"de baja", r"la baja"]
_OTHER_THINGS = [
    r"orders?|items?|purchases?|meetings?|appointments?|calls?|sessions?|demos?|webinars?|events?",
    r"bookings?|reservations?|flights?|trips?|deliver(?:y|ies)|shipments?|shipping|transfers?",
    r"callbacks?|invites?|invitations?|print\w*|jobs?|downloads?|uploads?|sync\w*|noise|emails?|newsletters?",
    r"notifications?|alerts?|api|webhooks?|endpoints?|reports?|schedul\w*|exports?",
    r"pedidos?|articulos?|compras?|reunion\w*|citas?|llamadas?|videollamadas?|sesion\w*|eventos?",
    r"reservas?|repartos?|vuelos?|viajes?|envios?|entregas?|transferencias?|invitacion\w*|impresion\w*",
    r"descargas?|subidas?|sincroniz\w*|ruido|correos?|boletin\w*|notificacion\w*|publicidad|alertas?",
    r"informes?|reportes?|programad\w*|exportacion\w*",
    r"passwords?|contrasenas?|resets?|upgrades?|updates?|actualizacion\w*|install\w*|instalacion\w*",
    r"cards?|tarjetas?|users?|usuarios?|class|classes|clases?|spots?|lessons?|trainers?|entrenador\w*",
    r"avisos?|mensajes?|messages?|texts?|promos?|ofertas?",
    r"visits?|visitas?|products?|productos?|listings?|anuncios?",
]
# Does not need it any more: "I don't need", "doesn't need", "won't be using".
_NO_NEED = (
    r"(?:don t|dont|doesn t|doesnt|do not|does not|no longer|won t|wont|will not|will no longer|not going to)"
    r" (?:need|want|use|be needing|be using)s?"
)
# What kind of account, in the customer's words: "the coworking hot desk agreement", "the water service";
# not a link word, and not something else one cancels ("the newsletter subscription").
_UNDOES = (
    r"(?:remove|delete|deleting|wipe|erase|stop|quit\w*|exit|exiting|leave|elimin\w*|borr\w*|suprim\w*"
    r"|desactiv\w*|deactivat\w*)"
)
_KIND_OF = (
    r"(?!(?:from|in|on|at|to|of|for|with|by|and|or|but|it|which|de|del|en|a|al|para|con|por|y|o|que)\b)"
    r"(?!(?:" + "|".join(_OTHER_THINGS) + r")\b)\w+"
)
_CLOSE_ACCOUNT = [
    rf"{_ENDING} (?:{_FILLER} ){{0,4}}{_ACCOUNT}",
    # the kind of account named, after a verb that ends it for good (not "remove the Google account
    # from my phone", "stop the background service"): "terminate the coworking hot desk agreement"
    rf"(?!{_UNDOES}\b){_ENDING} (?:{_FILLER} ){{0,4}}(?:{_KIND_OF} ){{1,3}}{_ACCOUNT}",
    r"(?:turn off|disable|stop|cancel\w*|desactiv\w*|quit\w*) (?:the |my |la |el )?"
    r"(?:auto ?renew\w*|automatic renewal|renovacion automatica)",
    r"(?:don t|dont|do not) (?:want to )?renew",
    r"no (?:me |nos )?(?:la |lo )?renuev\w*|(?:not|won t|wont|will not) (?:be )?renew\w*",
    # asks how leaving works: "can I leave whenever I want?", "¿hay permanencia mínima?"
    r"(?:can|could|may) (?:i|we) (?:leave|quit|exit|go|walk away) (?:whenever|any ?time|at any time|early)",
    rf"{_ENDING} (?:\w+ ){{0,4}}?{_ACCOUNT} (?:early|antes de tiempo)",  # "if I leave the X contract early"
    r"minimum commitment|notice period|lock ?in (?:period|contract)|early termination|permanencia"
    r"|break (?:my |our |the |this )?(?:lease|tenancy|contract|agreement)|romper (?:el |mi )?contrato"
    r"|(?:locked|tied) (?:in|into) (?:for|until|a contract|the contract|\d+)"
    r"|month to month (?:or|contract|plan|basis)"
    r"|(?:me|nos) (?:puedo|podemos) (?:ir|salir) cuando|(?:irme|salirme) cuando (?:quiera|sea)",
    # "not the order, the whole account": the account named after an excluded thing
    r"(?:whole|entire) account|cuenta (?:entera|completa)",
    rf"(?:shut|close|turn) (?:{_FILLER} ){{0,3}}{_ACCOUNT} (?:down|off)",
    # stops paying: "how do I stop paying for this", "stop billing me", "not paying another cent"
    r"stop (?:billing|charging|debiting) (?:me|us|(?:my|our) (?:credit |debit |bank )?(?:card|account))"
    r"(?! twice| double| two| for the same)",
    r"stop paying (?:for )?(?:this|it|you)",
    r"(?:not|never|won t|wont) (?:paying|pay) (?:you )?(?:another|one more|any more|anymore|a single)",
    r"(?:dejen|deje|dejar|dejo|dejamos) de (?:cobrar\w*|pagar)",
    r"no (?:quiero|pienso|voy a) (?:seguir )?pagar? (?:(?:ni )?(?:un|una) \w+ )?mas",
    # leaves without naming the account: "we no longer need your service", "ya no quiero seguir con ustedes"
    r"no longer (?:need|want|use|require) (?:your|the|this|our) (?:service|services|product|app|platform"
    r"|subscription|tool|software)",
    r"ya no (?:necesito|necesitamos|quiero|queremos|uso|usamos|deseo) (?:el|su|sus|este|esta|la|tu) "
    r"(?:servicio|servicios|suscripcion|plan|membresia|cuenta|plataforma|aplicacion|app)",
    r"(?:ya )?no (?:quiero|queremos|deseo|deseamos|voy a|vamos a) seguir (?:con ustedes|con el servicio"
    r"|con la suscripcion|pagando|con su servicio|con esto)",
    rf"(?:ya )?no (?:quiero|queremos|deseo|deseamos) seguir con (?:{_FILLER} ){{0,2}}{_ACCOUNT}",
    r"(?:como|que) (?:hago|hacemos|tengo que hacer) para (?:irme|irnos|salirme|salirnos|darme de baja)",
    r"how much notice|cuanto preaviso|(?:con )?cuanta (?:antelacion|anticipacion)"
    r"|cuanto (?:tiempo )?(?:antes )?(?:tengo|tenemos|hay) que avisar"
    r"|how (?:far|long) in advance (?:do|must|should)",
    r"(?:i m|im|i am|we re|we are) (?:so |totally |completely |just )?(?:done|finished|through) with "
    r"(?:you|ustedes|your (?:service|company|app|product)|this (?:app|service|company|product|tool))",
    r"(?:switching|moving|going|leaving) (?:over )?(?:to|for) (?:a competitor|another (?:provider|company"
    r"|service|vendor|carrier|operator|bank|insurer))|(?:me (?:voy|paso|cambio|porto)|nos (?:vamos|pasamos"
    r"|cambiamos|portamos)|(?:irme|pasarme|cambiarme|portarme|irnos|pasarnos|cambiarnos|portarnos)) (?:a|con)"
    r" (?:la competencia|otra (?:empresa|compania|plataforma|operadora|aseguradora)"
    r"|otro (?:proveedor|servicio|operador|banco))"
    r"|port\w* (?:my |our )?(?:number|line|lines) (?:out|to another)",
    r"(?:cierren|cancelen|borren|eliminen) todo|(?:close|delete|wipe|erase|cancel) (?:it all|everything)"
    r"(?: down| out)?(?! (?:in|from|on the|inside|off)\b)",
    # leaves "this" or "you", no account named: "como me borro de esto", "salirme de aquí"
    r"(?:(?:me|nos) (?:borro|borramos|salgo|salimos|doy de baja|damos de baja)|borrarme|borrarnos|salirme"
    r"|salirnos|darme de baja|darnos de baja) de (?:esto|aqui|ustedes)\b",
    # no longer a customer: "I don't want to be a customer anymore", "quiero dejar de ser cliente"
    r"(?:don t|dont|do not|no longer) (?:want|wish) to (?:be|remain|stay) (?:a |an |your )?(?:customer|client"
    r"|member|subscriber)s?|(?:stop|quit) being (?:a |an |your )?(?:customer|client|member|subscriber)s?",
    r"(?:dejar|dejo|dejamos) de ser (?:\w+ )?(?:cliente|socio|socia|miembro|abonado|suscriptor|afiliado)s?"
    r"|no (?:quiero|queremos|deseo) (?:seguir )?(?:ser|siendo) (?:\w+ )?(?:cliente|socio|socia|miembro"
    r"|abonado|suscriptor|afiliado)s?",
    # does not want it any more: "I don't want this subscription anymore", "won't need the home insurance"
    rf"{_NO_NEED} (?:any |{_FILLER} ){{0,3}}(?:{_KIND_OF} ){{0,3}}{_ACCOUNT} (?:any ?more|any longer|at all)",
    rf"(?:won t|wont|will not|will no longer|not going to) (?:need|use|want|be needing|be using)"
    rf" (?:{_FILLER} ){{0,3}}{_ACCOUNT}",
    rf"no (?:voy a|vamos a) (?:necesitar|usar|querer) (?:mas )?(?:{_FILLER} ){{0,3}}{_ACCOUNT}"
    rf"|ya no (?:necesito|necesitamos|quiero|queremos) (?:{_FILLER} ){{0,3}}{_ACCOUNT}",
    # ... and asks how to end it: "I don't need the solar panel lease anymore, how do I end it",
    # "doesn't need the pharmacy delivery membership, can I close it"
    rf"{_NO_NEED} (?!to\b)(?:\w+ ){{0,4}}?{_ACCOUNT}(?: \w+){{0,12}}? (?:end|stop|close|terminate|discontinue"
    r"|get rid of|shut down) (?:it|them)",
    # ends it by pronoun once the account is named: "the home insurance ... what do I do to end it",
    # "el seguro de hogar ... para finalizarlo"
    rf"{_ACCOUNT}(?: \w+){{0,12}}? (?:(?:end|terminate|discontinue) (?:it|them)"
    r"|(?:close|cancel|end|delete) (?:mine|ours)"
    r"|(?:finaliz|finalic|termin|rescind|cancel|cerr|cierr|anul)(?:ar|er|ir|en|e|a|ad)(?:me|nos"
    r"|se)?(?:lo|la|los|las))\b",
    # a paid tier ended by name: "how do I end premium", "quit the podcast app premium thing",
    # "desactivar el premium", "downgrade me from Premium to nothing"
    r"(?:end|stop|terminate|deactivate|get rid of|drop|desactiv\w*|quit(?:ar|en|o)?|termin(?:ar|en|o)"
    r"|finaliz\w*) (?:my |the |el |mi |su |this |este )?"
    rf"(?:{_KIND_OF} ){{0,2}}(?:premium|gold|platinum|plus|pro|vip)\b"
    r"(?! (?:features?|content|badge|support|button|version|price|discount|funciones|contenido|boton|precio))"
    r"|downgrad\w* (?:\w+ ){0,3}?to nothing",
    # gets off it, with no lower plan named: "bajarme del plan", not "bajar del plan Pro al Básico"
    r"(?:bajar(?:me|nos)|(?:me|nos) (?:quiero |queremos |voy a |vamos a )?baj(?:ar|o|amos)) del? "
    rf"(?:{_FILLER} ){{0,3}}{_ACCOUNT}"
    r"(?!(?: \w+){0,2} (?:al?|a la|para)\b)",
    # leaves in other words: "dejar el periódico digital", not "dejar la cuenta abierta"
    rf"(?:dejar|dejo|dejamos|dejaria|dejariamos) (?:{_FILLER} ){{0,3}}{_ACCOUNT}"
    r"(?! (?:abiert\w*|activ\w*|como|igual|tal|a nombre|en pausa|pausad\w*|congelad\w*|sin|para|a mi"
    r"|a su)\b)",
    # formal notice: "notice of non-renewal", "no renovaremos la licencia", "la resolución del contrato"
    r"non ?renewal|notice of (?:termination|cancellation)"
    r"|(?:give|giving|serve|serving|send|sending|submit|hereby give) (?:you )?"
    r"(?:formal |written )?notice(?! of (?:a |an )?(?:change|address|move|price))",
    r"no (?:lo |la |los |las )?renov(?:ar|are|aremos|aria|ariamos|amos)\b"
    r"|no (?:quiero|queremos|deseo|deseamos|voy a|vamos a|pienso|pensamos) (?:volver a )?renov\w*",
    r"resolucion (?:del?|de la) (?:\w+ ){0,2}(?:contratos?|poliza|acuerdo|suscripcion)",
    # the cooling-off period is a policy question: "cooling off period", "periodo de desistimiento"
    r"cooling ?off|desistimiento|desistir|right of withdrawal",
    # stops the money going out: "stop taking money out of my account", "dejen de sacarme plata"
    r"stop (?:taking|debiting|withdrawing|pulling|deducting|collecting|draining) (?:\w+ ){0,2}?" + _MONEY,
    r"(?:dejen|deje|dejar|dejo|dejamos|paren|pare|parar) de (?:(?:cobr|sac|descont|debit|carg"
    r"|quit)\w*(?:me|nos)\b"
    r"|(?:cobr|sac|descont|debit|carg|quit)\w* (?:\w+ ){0,2}?" + _DINERO + r")",
    r"(?:stop|cancel\w*|end|discontinu\w*) (?:the |my |our )?(?:monthly )?(?:direct debit|standing order"
    r"|(?:recurring|regular|monthly) (?:payments?|donations?|contributions?|pledges?))"
    r"|(?:cancel|anul|quit|elimin|suspend|desactiv)\w* (?:la |mi |esa |esta )?domiciliacion\w*",
]
# Leaves in so many words, as a whole clause: "I want out", "I'm out", "me quiero ir", "me piro".
_LEAVE_CLAUSE = re.compile(
    r"^(?:\w+ ){0,2}(?:(?:i|we) (?:really |just )?(?:want|wanna|need) out|(?:i m|im|i am|we re|we are) out"
    r"|(?:yo )?(?:me|nos) (?:quiero|queremos|voy|vamos) (?:a )?(?:ir|salir|marchar)"
    r"(?: de (?:aqui|ustedes|su \w+|este servicio|esta empresa|la plataforma))?"
    r"|me (?:piro|largo|las piro)(?: de aqui)?)$"
)
# The same, closing a longer clause: "... this price hike is the last straw I'm leaving", "... y me largo"
_LEAVE_END = re.compile(
    r"(?<!when )(?<!if )(?<!before )(?<!after )(?<!while )(?<!cuando )(?<!si )(?<!no )(?<!que )"
    r"\b(?:(?:i m|im|i am|we re|we are) (?:leaving|out of here|outta here)"
    r"|(?:me|nos) (?:largo|largamos|piro|piramos|las piro))$"
)
# An ending only considered: "I was going to close my account but it's fixed", "iba a cancelar".
_CONSIDERED = (
    r"(?:was going to|were going to|almost|iba a|ibamos a|estuve a punto de|casi|pense en"
    r"|habia pensado(?: en)?) (?:dar(?:me|nos|le)? "
    r"|(?:pedir|pido|solicitar|ask\w*|request\w*) (?:for )?(?:el |un |la |a |the )?)?"
    rf"(?:{_ENDING}|{_TRIGGER})"
)
# Key words a customer misspells; a word one edit (or one swap) away is read as the key word.
_SPELLED = (
    "cancel",
    "cancelar",
    "refund",
    "reembolso",
    "devolucion",
    "suscripcion",
    "subscription",
    "account",
)


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b")


_NOT_A_REQUEST_RE = _any([*_NOT_A_REQUEST, _CONSIDERED])
_ESCALATE_RE = _any(_MONEY_BACK + _CLOSE_ACCOUNT)
_BARE_CLOSING_RE = _any(_BARE_CLOSING)
_OTHER_THINGS_RE = _any(_OTHER_THINGS)
_CLAUSE_RE = re.compile(r"[.,;:!?¿¡()\n]+")
# Words that are not the customer's own: inline code ("`sub.cancel()`") and a quoted UI text named as
# such ("the 'are you sure you want to cancel?' popup", "el mensaje 'reembolso emitido'").
_NOT_THEIR_WORDS_RE = re.compile(
    r"`[^`\n]*`|\b\w+\.\w+\(|['‘\"“][^'’\"”\n]{1,80}['’\"”] ?(?:popup|pop ?up|dialog|prompt|modal"
    r"|message|warning|banner|box|window|screen|notice)|\b(?:ventana|mensaje|aviso|cartel|popup|dialogo|cuadro)"
    r" (?:(?:de|que dice|con) )?['‘\"“][^'’\"”\n]{1,80}['’\"”]",
    re.IGNORECASE,
)
# Cancels by pronoun ("¿la puedo cancelar?", "cancel it"): the thing is named in the clause before.
_BY_PRONOUN_RE = _any(
    [r"(?:lo|la|los|las) (?:\w+ )?cancel\w*|cancel\w*(?:lo|la|los|las)|cancel\w* (?:it|them)"]
)
_CODE_RE = re.compile(r"```|Traceback \(most recent call last\)|\bat [\w.$]+\(|Exception:|Error:")
_FORBIDDEN_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}
_ALLOWED_CONTROL = {"\n", "\t", "\r"}


def sanitise_query(query: object, *, max_chars: int) -> str:
    """Return a clean query or raise `InputValidationError` saying what is wrong with it."""
    if not isinstance(query, str):
        raise InputValidationError(f"query must be a string, got {type(query).__name__}")
    text = unicodedata.normalize("NFC", query).strip()
    if not text:
        raise InputValidationError("query is empty; send the customer's question as text")
    if len(text) > max_chars:
        raise InputValidationError(
            f"query has {len(text)} characters; the limit is {max_chars} (setting max_query_chars)"
        )
    bad = [c for c in text if unicodedata.category(c) in _FORBIDDEN_CONTROL and c not in _ALLOWED_CONTROL]
    if bad:
        raise InputValidationError(
            f"query contains {len(bad)} control character(s) such as U+{ord(bad[0]):04X}; strip them"
        )
    return re.sub(r"[ \t]+", " ", text)


def escalation_by_rule(query: str, customer_tier: str) -> EscalationReason | None:
    """Rules 1 and 2, checked before any LLM is called (figures: benchmarks/escalation_rules.py)."""
    if customer_tier == "vip":
        return EscalationReason.VIP
    if wants_to_leave_or_money_back(query):
        return EscalationReason.CANCELLATION
    return None


def wants_to_leave_or_money_back(query: str) -> bool:
    """Rule 2: the customer wants to close the account or subscription, or wants money back."""
    own_words = _NOT_THEIR_WORDS_RE.sub(" ", query)
    folded = (fold(c) for c in _CLAUSE_RE.split(own_words))
    clauses = [_NOT_A_REQUEST_RE.sub(" ", _respell(c)) for c in folded if c]
    if _ESCALATE_RE.search(" ".join(clauses)) or any(
        _LEAVE_CLAUSE.search(c.strip()) or _LEAVE_END.search(c.strip()) for c in clauses
    ):
        return True
    return any(
        _BARE_CLOSING_RE.search(c) and not _names_other_thing(c, before)
        for before, c in pairwise(["", *clauses])
    )


def _names_other_thing(clause: str, before: str) -> bool:
    """The clause cancels something else, named in it or, for a pronoun, in the clause before."""
    return bool(
        _OTHER_THINGS_RE.search(clause) or (_BY_PRONOUN_RE.search(clause) and _OTHER_THINGS_RE.search(before))
    )


def _respell(text: str) -> str:
    return " ".join(_key_word(w) for w in text.split())


def _key_word(word: str) -> str:
    """`word`, or the key word it misspells: 'cancle' -> 'cancel', 'refnd' -> 'refund'."""
    if word.startswith("kancel"):  # 'kancelen', 'kancelar': the c/k swap people type
        word = "c" + word[1:]
    if len(word) < 5 or word in _SPELLED:
        return word
    # The first letters agree (a "kancel..." is respelled above): a first letter is seldom mistyped.
    return next((key for key in _SPELLED if key[0] == word[0] and _one_edit(word, key)), word)


def _one_edit(a: str, b: str) -> bool:
    """True when `a` becomes `b` by at most one insertion, deletion, substitution or swap of neighbours."""
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1:
        return False
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    swapped = i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    return a[i + 1 :] == b[i + 1 :] or swapped


def is_complex(query: str, *, min_words: int) -> bool:
    return len(query.split()) >= min_words or query.count("?") >= 2 or bool(_CODE_RE.search(query))


def model_for(agent: str, query: str, settings: Settings) -> str:
    models = settings.models
    if agent == Route.TECHNICAL:
        return models.strong
    if agent == "supervisor":
        return models.cheap
    return models.strong if is_complex(query, min_words=models.complex_min_words) else models.cheap
