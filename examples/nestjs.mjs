// NestJS (plain JavaScript, decorators applied as functions; TypeScript's @Controller()/@Get()
// work the same): create the app, init() it (no listen()) and export it.
//   npx uwsgi-node --http :8080 --master --processes 2 --cache2 name=default,items=100 examples/nestjs.mjs
import "reflect-metadata";
import { Controller, Get, Module } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { uwsgi } from "uwsgi-node";

class HelloController {
  hello() {
    uwsgi.cache_inc("hits");
    return { framework: "nestjs", worker: uwsgi.worker_id(), hits: uwsgi.cache_num("hits") };
  }
}
Controller()(HelloController);
Get("/")(HelloController.prototype, "hello", Object.getOwnPropertyDescriptor(HelloController.prototype, "hello"));

class AppModule {}
Module({ controllers: [HelloController] })(AppModule);

const app = await NestFactory.create(AppModule, { logger: ["error", "warn"] });
await app.init();
export default app;
