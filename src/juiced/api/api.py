from ninja import NinjaAPI

api = NinjaAPI(title="Juiced API", version="1", docs_url="/docs")
