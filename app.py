"""The Chalice app: every Lambda of the product. It only wires; the work is in chalicelib/."""

from chalice import Chalice

from chalicelib.api import admin, auth, widget

app = Chalice(app_name="helpdesk-chat")
app.experimental_feature_flags.update(["WEBSOCKETS"])

app.register_blueprint(auth.routes)
app.register_blueprint(admin.routes)
app.register_blueprint(widget.routes)
