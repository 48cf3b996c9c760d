package main

// BosBase's record counter, which PocketBase lacks:
//
//	GET /api/collections/{collection}/records/count[?filter=...] -> {"count": N}
//
// It counts what the list route would return to the same caller: the
// collection's list rule applies (superusers bypass it, a nil rule is
// superusers-only), then the caller's filter. Measured on the real server:
// an unknown collection is 404 "Missing collection context.".

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"
)

func registerRecordCount(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.GET("/api/collections/{collection}/records/count", countRecords)
		return se.Next()
	})
}

func countRecords(e *core.RequestEvent) error {
	collection, err := e.App.FindCachedCollectionByNameOrId(e.Request.PathValue("collection"))
	if err != nil {
		return e.NotFoundError("Missing collection context.", err)
	}
	info, err := e.RequestInfo()
	if err != nil {
		return e.BadRequestError("", err)
	}
	superuser := info.HasSuperuserAuth()
	if collection.ListRule == nil && !superuser {
		return e.ForbiddenError("Only superusers can perform this action.", nil)
	}

	query := e.App.RecordQuery(collection)
	resolver := core.NewRecordFieldResolver(e.App, collection, info, superuser)
	if !superuser && *collection.ListRule != "" {
		expr, err := search.FilterData(*collection.ListRule).BuildExpr(resolver)
		if err != nil {
			return e.BadRequestError("Invalid list rule.", err)
		}
		query.AndWhere(expr)
	}
	if filter := e.Request.URL.Query().Get("filter"); filter != "" {
		expr, err := search.FilterData(filter).BuildExpr(resolver)
		if err != nil {
			return e.BadRequestError("Invalid filter.", err)
		}
		query.AndWhere(expr)
	}
	if err := resolver.UpdateQuery(query); err != nil {
		return e.BadRequestError("Invalid filter.", err)
	}

	var count int
	err = query.Select("COUNT(DISTINCT [[" + collection.Name + ".id]])").Row(&count)
	if err != nil {
		return e.BadRequestError("Failed to count the records.", err)
	}
	return e.JSON(http.StatusOK, map[string]int{"count": count})
}
